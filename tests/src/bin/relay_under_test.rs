//! The relay program, built in the tests package so `CARGO_BIN_EXE_relay-under-test` points at it.
fn main() {
    relay::cli::main()
}
