//! Every portal rule as pure functions.
