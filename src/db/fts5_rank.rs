//! `ticket_rank(ticket_fts, w_number, w_subject, w_body, w_notes, w_requester)`: the SQLite
//! staff search's rank, an FTS5 auxiliary function registered on every connection.
//!
//! FTS5's own `bm25()` first counts, for every query term, the documents holding it in the whole
//! index (its IDF): a query with a common word ("studente", in every ticket) costs 30 ms at a
//! million tickets even when one ticket matches. Every word of a staff search must match anyway,
//! so the IDF changes little; this rank keeps BM25's weighted, saturating term frequency and
//! reads nothing but the matching row's own positions.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;
use std::sync::Once;

use libsqlite3_sys as ffi;

/// BM25's term-frequency saturation.
const K1: f64 = 1.2;
/// The columns of `ticket_fts` (number, subject, body, notes, requester).
const COLUMNS: usize = 5;

/// Registers `ticket_rank` on every SQLite connection this process opens from now on.
pub fn register() {
    static ONCE: Once = Once::new();
    // SAFETY: `on_open` has the signature SQLite expects of an auto-extension entry point.
    ONCE.call_once(|| unsafe {
        ffi::sqlite3_auto_extension(Some(on_open));
    });
}

/// One query phrase's share of a row's score, from its weighted term frequency.
fn saturated(tf: f64) -> f64 {
    if tf > 0.0 {
        tf * (K1 + 1.0) / (tf + K1)
    } else {
        0.0
    }
}

/// The score of a row from its weighted term frequencies, one per query phrase.
#[cfg(test)]
fn score(weighted_tf: impl Iterator<Item = f64>) -> f64 {
    weighted_tf.map(saturated).sum()
}

unsafe extern "C" fn on_open(db: *mut ffi::sqlite3, _err: *mut *mut c_char, _api: *const ffi::sqlite3_api_routines) -> c_int {
    let api = fts5_api(db);
    if api.is_null() {
        // No FTS5 in this build: the search will fail on its own with a clear message.
        return ffi::SQLITE_OK;
    }
    match (*api).xCreateFunction {
        Some(create) => create(api, c"ticket_rank".as_ptr(), ptr::null_mut(), Some(ticket_rank), None),
        None => ffi::SQLITE_OK,
    }
}

/// The connection's FTS5 API, as the FTS5 documentation says to obtain it.
unsafe fn fts5_api(db: *mut ffi::sqlite3) -> *mut ffi::fts5_api {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    if ffi::sqlite3_prepare_v2(db, c"SELECT fts5(?1)".as_ptr(), -1, &mut stmt, ptr::null_mut()) != ffi::SQLITE_OK {
        return ptr::null_mut();
    }
    ffi::sqlite3_bind_pointer(stmt, 1, (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(), c"fts5_api_ptr".as_ptr(), None);
    ffi::sqlite3_step(stmt);
    ffi::sqlite3_finalize(stmt);
    api
}

unsafe extern "C" fn ticket_rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_args: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    match weighted_score(api, fts, n_args, args) {
        Ok(score) => ffi::sqlite3_result_double(ctx, score),
        Err(code) => ffi::sqlite3_result_error_code(ctx, code),
    }
}

unsafe fn weighted_score(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_args: c_int,
    args: *mut *mut ffi::sqlite3_value,
) -> Result<f64, c_int> {
    let api = api.as_ref().ok_or(ffi::SQLITE_MISUSE)?;
    let (Some(phrases), Some(first), Some(next)) = (api.xPhraseCount, api.xPhraseFirst, api.xPhraseNext) else {
        return Err(ffi::SQLITE_MISUSE);
    };
    // Column weights from the arguments; a column without one weighs 1.
    let mut weights = [1.0; COLUMNS];
    for (i, w) in weights.iter_mut().enumerate().take(usize::try_from(n_args).unwrap_or(0)) {
        *w = ffi::sqlite3_value_double(*args.add(i));
    }
    let mut score = 0.0;
    for phrase in 0..phrases(fts) {
        let mut iter = ffi::Fts5PhraseIter { a: ptr::null(), b: ptr::null() };
        let (mut column, mut offset) = (0, 0);
        let rc = first(fts, phrase, &mut iter, &mut column, &mut offset);
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
        let mut tf = 0.0;
        while column >= 0 {
            tf += usize::try_from(column).ok().and_then(|c| weights.get(c)).copied().unwrap_or(1.0);
            next(fts, &mut iter, &mut column, &mut offset);
        }
        score += saturated(tf);
    }
    Ok(score)
}

#[cfg(test)]
mod tests {
    use super::score;

    #[test]
    fn more_and_weightier_occurrences_score_higher_and_saturate() {
        let subject = score([10.0].into_iter());
        let body = score([2.0].into_iter());
        assert!(subject > body, "{subject} > {body}");
        assert!(score([2.0, 2.0].into_iter()) > body);
        // Saturation: ten body occurrences never beat the subject by much more than one.
        assert!(score([20.0].into_iter()) < 2.2 * 1.0 + 1e-9);
        assert_eq!(score([0.0].into_iter()), 0.0);
    }
}
