//! Files chosen before a form error stay chosen: each stored upload comes back with the page as
//! a hidden `kept.<n>` field (what was stored, signed and bound to this session or browser) and
//! is shown as "già allegato: nome.pdf" with a "rimuovi" box. The next try of the form brings
//! them back as uploads, unless removed or replaced. The file itself stays in the store, kept
//! fresh for its sweep while the form is shown again; an unused one is swept as any refused
//! upload (`jobs::SweepFiles`).

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::multipart::FormData;
use super::page::Ctx;
use crate::auth::mac;
use crate::files::Upload;

const LABEL: &str = "kept-upload";
/// A kept file older than this is dropped (the sweep spares files for an hour).
const MAX_AGE_SECS: i64 = 50 * 60;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Serialize, Deserialize)]
struct Kept {
    key: String,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    at: i64,
}

fn seal(ctx: &Ctx, upload: &Upload) -> String {
    let kept = Kept {
        key: upload.key.clone(),
        filename: upload.filename.clone(),
        content_type: upload.content_type.clone(),
        size: upload.size,
        sha256: upload.sha256.clone(),
        at: chrono::Utc::now().timestamp(),
    };
    let payload = B64.encode(serde_json::to_vec(&kept).unwrap_or_default());
    let proof = ctx.state.keys.mac().token(LABEL, &[&payload, &ctx.csrf]);
    format!("{payload}.{proof}")
}

fn open(ctx: &Ctx, token: &str) -> Option<Kept> {
    let (payload, proof) = token.split_once('.')?;
    if !mac::same(&ctx.state.keys.mac().token(LABEL, &[payload, &ctx.csrf]), proof) {
        return None;
    }
    let kept: Kept = serde_json::from_slice(&B64.decode(payload).ok()?).ok()?;
    let age = chrono::Utc::now().timestamp() - kept.at;
    ((0..MAX_AGE_SECS).contains(&age) && ctx.state.files.touch(&kept.sha256).unwrap_or(false)).then_some(kept)
}

/// Adds the files kept from the form's earlier try to `data.uploads`: not those the person
/// removed, nor a document they chose again.
pub fn restore(ctx: &Ctx, data: &mut FormData) {
    let mut indices: Vec<&String> = data.text.keys().filter(|k| k.starts_with("kept.")).collect();
    indices.sort();
    let mut restored = Vec::new();
    for field in indices {
        let index = &field["kept.".len()..];
        if data.text.get(&format!("drop.{index}")).is_some_and(|v| v == "on") {
            continue;
        }
        let Some(kept) = open(ctx, &data.text[field]) else { continue };
        let replaced = kept.key != "files" && data.uploads.iter().any(|u| u.key == kept.key);
        let again = restored.iter().chain(data.uploads.iter()).any(|u: &Upload| u.key == kept.key && u.sha256 == kept.sha256);
        if replaced || again {
            continue;
        }
        restored.push(Upload {
            key: kept.key,
            filename: kept.filename,
            content_type: kept.content_type,
            size: kept.size,
            sha256: kept.sha256,
            identity_document: false,
            // Scanned when first sent; one kept unscanned (scanner down, HELPDESK_CLAMD_UNAVAILABLE=accept)
            // loses its flag on the form's next try.
            unscanned: false,
        });
    }
    data.uploads.extend(restored);
}

/// The uploads to show again with the form: per field key, `{index, token, filename}`.
pub fn to_show(ctx: &Ctx, uploads: &[Upload]) -> Vec<(String, Value)> {
    uploads
        .iter()
        .enumerate()
        .map(|(i, u)| (u.key.clone(), json!({"index": i, "token": seal(ctx, u), "filename": u.filename})))
        .collect()
}
