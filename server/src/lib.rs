//! isacx server.
