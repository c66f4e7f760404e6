//! STIX patterning (STIX 2.1 §9).
