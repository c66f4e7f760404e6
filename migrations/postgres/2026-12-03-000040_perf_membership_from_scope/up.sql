-- Collection membership follows from an object's scope columns (sectors,
-- tlp, published), checked when reading: no per-collection row per object,
-- which cost one insert per collection on every ingest, and a collection
-- added to the layout later sees the objects already in its scope.
DROP TABLE collection_members;
