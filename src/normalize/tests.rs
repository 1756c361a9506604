use super::*;
use crate::model::*;

const CONTRACT: &str = include_str!("testdata/contract.yaml");
const HEAD: &str = "version: 1\nname: shop\nregion: eu-central-1\n";

fn ok(src: &str) -> Model {
    load(src).unwrap_or_else(|d| panic!("{d:#?}"))
}

#[test]
fn contract_smoke() {
    let m = ok(CONTRACT);
    println!("{m:#?}");
}
