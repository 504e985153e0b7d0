//! A native call sees only the environment it is given, never Nebula's own (the server's token).

use nebula::runtime::{CallInput, Limits, NativeFunction, Runtime};
use std::path::Path;

#[test]
fn native_calls_get_a_clean_environment() {
    std::env::set_var("NEBULA_TOKEN", "secret-from-the-server");
    let f = NativeFunction::new(Path::new("/bin/sh"), Limits::default()).unwrap();
    let o = f.call(&CallInput {
        args: vec!["-c".into(), "env | sort".into()],
        env: vec![("GIVEN".into(), "yes".into())],
        ..CallInput::default()
    });
    assert!(o.ok(), "{:?}", o.error);
    let env = String::from_utf8_lossy(&o.stdout);
    assert!(
        !env.contains("secret-from-the-server"),
        "the token leaked:\n{env}"
    );
    assert!(
        env.contains("GIVEN=yes") && env.contains("PATH=/usr/local/bin:/usr/bin:/bin"),
        "{env}"
    );
    assert!(
        !env.contains("HOME="),
        "nothing of the parent's environment: {env}"
    );
}
