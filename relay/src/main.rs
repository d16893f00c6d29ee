fn main() {
    relay::cli::main()
}
