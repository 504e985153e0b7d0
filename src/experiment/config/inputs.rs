//! When two inputs of a function are the same: equal once trimmed, or the same number written
//! two ways (`10`, `010`, `10.0`, `1e1`).

/// How an input compares with the others: inputs are the same when they are equal once
/// trimmed, or when both are the same number (`10`, `010`, `10.0`, `1e1`).
#[derive(PartialEq)]
enum InputKey<'a> {
    Integer(i128),
    Float(u64),
    Text(&'a str),
}

fn input_key(s: &str) -> InputKey<'_> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i128>() {
        return InputKey::Integer(i);
    }
    match t.parse::<f64>() {
        // Integral values within f64's exact range compare with the integers.
        Ok(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => InputKey::Integer(x as i128),
        Ok(x) if x.is_finite() => InputKey::Float((x + 0.0).to_bits()),
        _ => InputKey::Text(t),
    }
}

/// An input that `list` gives more than once, said as "input '10' appears 3 times (also as
/// '010')": the first form, how often, and the other forms it takes.
pub(super) fn repeated_input(list: &[String]) -> Option<String> {
    let key = list
        .iter()
        .enumerate()
        .map(|(i, v)| (i, input_key(v)))
        .find(|(i, k)| list[..*i].iter().any(|u| input_key(u) == *k))?
        .1;
    let same: Vec<&str> = list
        .iter()
        .filter(|u| input_key(u) == key)
        .map(String::as_str)
        .collect();
    let first = same.first()?;
    let times = match same.len() {
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    let mut others: Vec<String> = Vec::new();
    for form in same.iter().filter(|f| *f != first) {
        let quoted = format!("'{form}'");
        if !others.contains(&quoted) {
            others.push(quoted);
        }
    }
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (also as {})", others.join(", "))
    };
    Some(format!("input '{first}' appears {times}{also}"))
}
