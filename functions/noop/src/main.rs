//! `noop`: ignores its input and prints nothing. The overhead baseline (process or instance
//! start, stdin read, exit) that the other functions are compared against. It has no kernel
//! markers (`markers = false` in suite.toml), so its wasm build does not import `bench`.

fn noop(_input: &str) -> Result<String, String> {
    Ok(String::new())
}

fn main() {
    nebula_guest::run(noop);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_nothing_whatever_the_input() {
        assert_eq!(noop(""), Ok(String::new()));
        assert_eq!(noop("anything at all"), Ok(String::new()));
    }
}
