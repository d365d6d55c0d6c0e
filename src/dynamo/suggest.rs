//! "Did you mean": the nearest of a list of names to a mistyped one.

/// The name in `names` nearest to `want` (case-insensitive edit distance),
/// if it is close enough to be a likely typo: at most 2 edits, or a third of
/// the name's length for long names. A name that starts with `want`, or
/// contains it, counts as near too.
pub fn nearest<'a>(want: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = want.to_lowercase();
    names
        .into_iter()
        .filter(|n| !n.is_empty() && *n != want)
        .filter_map(|n| {
            let l = n.to_lowercase();
            let d = strsim::damerau_levenshtein(&w, &l);
            let limit = 2.max(l.chars().count() / 3);
            let near = d <= limit || (w.len() >= 3 && l.contains(&w));
            near.then_some((d, n))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, n)| n)
}

/// ` (did you mean `x`?)`, or nothing.
pub fn did_you_mean<'a>(want: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    nearest(want, names)
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let names = ["customer-orders", "customer-by-email", "orders-by-status"];
        assert_eq!(nearest("custmer-orders", names), Some("customer-orders"));
        assert_eq!(nearest("Customer-Orders", names), Some("customer-orders"));
        assert_eq!(nearest("by-email", names), Some("customer-by-email"));
        assert_eq!(nearest("inventory", names), None);
        assert_eq!(
            nearest("customer", ["customerId", "minTotal"]),
            Some("customerId")
        );
        assert_eq!(
            did_you_mean("dyntui-dmeo", ["dyntui-demo"]),
            " (did you mean `dyntui-demo`?)"
        );
        assert_eq!(did_you_mean("zzz", ["dyntui-demo"]), "");
    }
}
