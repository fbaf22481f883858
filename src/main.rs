fn main() {
    std::process::exit(floe::cli::main());
}
