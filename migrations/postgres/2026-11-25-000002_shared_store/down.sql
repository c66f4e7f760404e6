DROP TABLE taxii_status;
DROP TABLE collection_members;
DROP TABLE stix_objects;
