//! JSON bytes: one-space indentation, as `cdk synth` writes templates
//! (`JSON.stringify(template, undefined, 1)`), and a final newline.

use serde::Serialize;

pub fn to_cdk_json(value: &serde_json::Value) -> String {
    let mut buf = Vec::new();
    to_cdk_json_writer(&mut buf, value);
    let mut s = String::from_utf8(buf).expect("serde_json writes UTF-8");
    s.push('\n');
    s
}

/// The same bytes without the final newline, into `out` (to measure a
/// document without keeping it).
pub fn to_cdk_json_writer(out: &mut impl std::io::Write, value: &serde_json::Value) {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value
        .serialize(&mut ser)
        .expect("serde_json values always serialize");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_space_indent_and_newline() {
        let v = serde_json::json!({"Resources": {"A": {"Type": "AWS::SQS::Queue"}}, "Z": [1, 2]});
        assert_eq!(
            to_cdk_json(&v),
            "{\n \"Resources\": {\n  \"A\": {\n   \"Type\": \"AWS::SQS::Queue\"\n  }\n },\n \"Z\": [\n  1,\n  2\n ]\n}\n"
        );
    }
}
