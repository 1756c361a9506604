//! JSON bytes: one-space indentation, as `cdk synth` writes templates
//! (`JSON.stringify(template, undefined, 1)`), and a final newline.

use super::cdk_json::Json;

/// `value` as a file: the layout of `cdk_json` (the one JSON writer), and
/// a final newline.
pub fn to_cdk_json(value: &serde_json::Value) -> String {
    let mut j = Json::at_depth(0);
    j.value(value);
    let mut bytes = j.into_bytes();
    bytes.push(b'\n');
    String::from_utf8(bytes).expect("the writer copies UTF-8 strings and writes ASCII")
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
