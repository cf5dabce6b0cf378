//! The wasm entry point trunk and `cargo xtask dist` build.

fn main() {
    frontend::start();
}
