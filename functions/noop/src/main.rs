//! `noop`: ignores its input and prints nothing. The overhead baseline (process or instance
//! start, stdin read, exit) that the other functions are compared against.

fn noop(_input: &str) -> Result<String, String> {
    nebula_guest::kernel(|| ());
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
