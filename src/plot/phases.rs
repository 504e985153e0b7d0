//! phases chart (being built).

use super::by_input::ByInput;
use super::data::RunData;

pub fn build(_data: &RunData) -> Result<ByInput, String> {
    Err("not yet".into())
}
