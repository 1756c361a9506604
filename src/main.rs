fn main() -> std::process::ExitCode {
    blueprint::run()
}
