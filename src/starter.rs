//! The commented starter blueprint that `blueprint init` writes.

/// `templates/blueprint.yaml`, embedded in the binary.
pub const STARTER: &str = include_str!("../templates/blueprint.yaml");

#[cfg(test)]
mod tests {
    use super::STARTER;

    #[test]
    fn the_starter_loads_and_fits_every_target() {
        let model = crate::normalize::load(STARTER).unwrap_or_else(|d| panic!("{d:?}"));
        for t in crate::model::Target::ALL {
            assert_eq!(crate::normalize::fit(&model, t), Vec::new(), "{t:?}");
        }
        assert!(STARTER.starts_with("# yaml-language-server: $schema=./blueprint.schema.json\n"));
    }
}
