//! Unit tests of the import mapping on hand-written listings.
