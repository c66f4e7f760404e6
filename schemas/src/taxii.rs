//! TAXII 2.1 resources.
