//! The command line: parse, resolve settings, call one library function, map the
//! result to an exit code.

pub fn main() -> i32 {
    0
}
