//! Every portal rule as pure functions: the CLI, the controller, the sandbox and tests share them.

pub mod password;
pub mod syntax;
