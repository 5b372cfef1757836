//! Loading manifests from files, directories and stdin.
