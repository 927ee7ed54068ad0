//! `file` blocks of baremetal services: each source is copied into the build
//! as `salt/eos/files/<service>/<n>-<basename>` (n = the block's position, so
//! two sources with one basename stay apart; characters other than letters,
//! digits and `._-` become `_`, as `salt://` URLs give `?` a meaning) and installed by `file.managed`
//! from `salt://eos/files/…`.

use serde_json::json;

use super::sls::{req, Sls};
use crate::emit::{Artifacts, EmitError, Input};
use crate::model::ServiceId;

/// The file name in the build for the `index`-th file block.
fn copy_name(source: &str, index: usize) -> String {
    let base: String = source
        .rsplit('/')
        .next()
        .unwrap_or(source)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{index}-{base}")
}

/// Copies the sources and adds one `file.managed` per file block, each
/// requiring `after` (the package), and the group of each file others may
/// not read. Returns the states as requisites.
pub(super) fn add(
    sls: &mut Sls,
    input: &Input<'_>,
    out: &mut Artifacts,
    id: ServiceId,
    after: &str,
) -> Result<Vec<serde_json::Value>, EmitError> {
    let service = input.stack.service(id).name();
    let mut ids = Vec::new();
    for (index, file) in input.stack.service(id).decl.files().iter().enumerate() {
        let name = copy_name(&file.source.value, index);
        let artifact = format!("salt/eos/files/{service}/{name}");
        let bytes = input
            .files
            .contents(&file.source.value)
            .ok_or_else(|| EmitError {
                artifact: artifact.clone(),
                message: format!("the source `{}` was not read", file.source.value),
            })?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| EmitError {
            artifact: artifact.clone(),
            message: format!("the source `{}` is not UTF-8 text", file.source.value),
        })?;
        out.add(artifact, text);
        let state = format!("eos-{service}.file.{index}");
        sls.state(
            state.clone(),
            "file.managed",
            vec![
                ("name", json!(file.path.value)),
                (
                    "source",
                    json!(format!("salt://eos/files/{service}/{name}")),
                ),
                ("mode", json!(file.mode.value)),
                ("makedirs", json!(true)),
                ("require", json!([req("pkg", after)])),
            ],
        );
        ids.push(req("file", &state));
        if !world_readable(&file.mode.value) {
            ids.push(req("cmd", &add_group_state(sls, input, id, index, &state)));
        }
    }
    Ok(ids)
}

/// Whether a mode (`0640`) lets others read the file.
fn world_readable(mode: &str) -> bool {
    u32::from_str_radix(mode, 8).is_ok_and(|m| m & 0o004 != 0)
}

/// A file others may not read belongs to the group the service's unit runs
/// as, so that e.g. `vault` can read its `0640` config. Returns the state's ID.
fn add_group_state(
    sls: &mut Sls,
    input: &Input<'_>,
    id: ServiceId,
    index: usize,
    file_state: &str,
) -> String {
    let service = input.stack.service(id);
    super::units::hand_to_unit(
        sls,
        format!("eos-{}.file.{index}.group", service.name()),
        (
            &super::units::units(service.decl.package()).start,
            &service.decl.files()[index].path.value,
        ),
        super::units::Handover::Group,
        &super::sls::Step::new("file", file_state.to_string()),
    )
    .id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_the_basename_behind_the_index() {
        assert_eq!(copy_name("files/vault.hcl", 0), "0-vault.hcl");
        assert_eq!(copy_name("vault.hcl", 2), "2-vault.hcl");
        assert_eq!(copy_name("a/b?saltenv=x#y", 1), "1-b_saltenv_x_y");
    }
}
