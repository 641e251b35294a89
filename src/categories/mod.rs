//! Categories: their team, SLA, and versioned forms (as data). Seeded from
//! `seeds/categories.json`; admins edit them later without touching tickets' answers.

pub mod admin;
pub mod form;
pub mod notice;
mod seed;

use diesel::prelude::*;
use serde::Serialize;

pub use form::{FormField, RequiredAttachment, Text};
pub use notice::{Notice, NoticeView};
pub use seed::seed;

use crate::db::schema::{categories, category_forms, teams};
use crate::db::DbConn;
use crate::domain::Locale;
use crate::error::ServiceError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: String,
    pub slug: String,
    pub name_it: String,
    pub name_en: String,
    pub description_it: String,
    pub description_en: String,
    pub team_id: String,
    pub guests_allowed: bool,
    pub first_response_hours: i32,
    pub resolution_hours: i32,
    pub position: i32,
    pub active: bool,
}

/// A category with its current form.
#[derive(Debug, Clone)]
pub struct Category {
    pub row: CategoryRow,
    pub team_slug: String,
    pub form_id: String,
    pub form_version: i32,
    pub fields: Vec<FormField>,
    pub required_attachments: Vec<RequiredAttachment>,
    /// The current privacy notice: when there is one, a new ticket must acknowledge it.
    pub notice: Option<Notice>,
}

impl Category {
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::It => &self.row.name_it,
            Locale::En => &self.row.name_en,
        }
    }
}

/// What `GET /api/v1/categories` answers, in one language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub team: String,
    pub guests_allowed: bool,
    pub form_version: i32,
    pub fields: Vec<FieldView>,
    pub required_attachments: Vec<AttachmentView>,
    /// The current privacy notice, to show and to acknowledge (`privacy_notice_version` of
    /// `POST /tickets`); `null`: none asked for.
    pub privacy_notice: Option<NoticeView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldView {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: form::FieldType,
    pub label: String,
    pub labels: Text,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionView>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub value: String,
    pub label: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub key: String,
    pub label: String,
    pub identity_document: bool,
}

impl Category {
    pub fn view(&self, locale: Locale) -> CategoryView {
        let r = &self.row;
        CategoryView {
            slug: r.slug.clone(),
            name: self.name(locale).to_owned(),
            description: match locale {
                Locale::It => r.description_it.clone(),
                Locale::En => r.description_en.clone(),
            },
            team: self.team_slug.clone(),
            guests_allowed: r.guests_allowed,
            form_version: self.form_version,
            fields: self
                .fields
                .iter()
                .map(|f| FieldView {
                    key: f.key.clone(),
                    kind: f.kind,
                    label: f.label.get(locale).to_owned(),
                    labels: f.label.clone(),
                    required: f.required,
                    help: f.help.as_ref().map(|h| h.get(locale).to_owned()),
                    options: (!f.options.is_empty()).then(|| {
                        f.options
                            .iter()
                            .map(|o| OptionView { value: o.value.clone(), label: o.label.get(locale).to_owned() })
                            .collect()
                    }),
                })
                .collect(),
            required_attachments: self
                .required_attachments
                .iter()
                .map(|a| AttachmentView {
                    key: a.key.clone(),
                    label: a.label.get(locale).to_owned(),
                    identity_document: a.identity_document,
                })
                .collect(),
            privacy_notice: self.notice.as_ref().map(|n| n.view(locale)),
        }
    }
}

/// The active categories, remembered for `ttl` per instance (one entry): opening a ticket
/// needs them on every request, and an admin's change reaches every instance within `ttl`
/// (this one `clear`s at once).
pub type Catalog = crate::cache::TtlCache<(), std::sync::Arc<Vec<Category>>>;

pub fn catalog(ttl: std::time::Duration) -> Catalog {
    Catalog::new(ttl, 1)
}

/// A form version's content never changes (a change is a new version), so parsed forms are
/// kept by their id: the same id is the same form in any database.
type Form = (Vec<FormField>, Vec<RequiredAttachment>);
static FORMS: std::sync::LazyLock<std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<Form>>>> =
    std::sync::LazyLock::new(Default::default);

fn parsed_form(conn: &mut DbConn, form_id: &str) -> Result<std::sync::Arc<Form>, ServiceError> {
    if let Some(form) = FORMS.read().ok().and_then(|forms| forms.get(form_id).cloned()) {
        return Ok(form);
    }
    let (fields, required): (String, String) = category_forms::table
        .find(form_id)
        .select((category_forms::fields, category_forms::required_attachments))
        .first(conn)?;
    let bad = |e: serde_json::Error| ServiceError::Internal(format!("form {form_id} is bad: {e}"));
    let form = std::sync::Arc::new((serde_json::from_str(&fields).map_err(bad)?, serde_json::from_str(&required).map_err(bad)?));
    if let Ok(mut forms) = FORMS.write() {
        forms.insert(form_id.to_owned(), form.clone());
    }
    Ok(form)
}

/// Category, team and current form version in one query; the form's content from the cache.
fn load(conn: &mut DbConn, slug: Option<&str>, active_only: bool) -> Result<Vec<Category>, ServiceError> {
    let newer = diesel::alias!(category_forms as newer);
    let mut query = categories::table
        .inner_join(teams::table)
        .inner_join(category_forms::table)
        .filter(category_forms::retired.eq(false))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            newer
                .filter(newer.field(category_forms::category_id).eq(categories::id))
                .filter(newer.field(category_forms::retired).eq(false))
                .filter(newer.field(category_forms::version).gt(category_forms::version)),
        )))
        .order((categories::position, categories::slug))
        .select((CategoryRow::as_select(), teams::slug, category_forms::id, category_forms::version))
        .into_boxed();
    if let Some(slug) = slug {
        query = query.filter(categories::slug.eq(slug.to_owned()));
    }
    if active_only {
        query = query.filter(categories::active.eq(true));
    }
    let rows: Vec<(CategoryRow, String, String, i32)> = query.load(conn)?;
    let mut notices = notice::current_by_category(conn)?;
    rows.into_iter()
        .map(|(row, team_slug, form_id, form_version)| {
            let form = parsed_form(conn, &form_id)?;
            let notice = notices.remove(&row.id);
            Ok(Category {
                row,
                team_slug,
                form_id,
                form_version,
                fields: form.0.clone(),
                required_attachments: form.1.clone(),
                notice,
            })
        })
        .collect()
}

/// Active categories in display order, each with its current form.
pub fn list(conn: &mut DbConn) -> Result<Vec<Category>, ServiceError> {
    load(conn, None, true)
}

/// An active category by slug.
pub fn by_slug(conn: &mut DbConn, slug: &str) -> Result<Option<Category>, ServiceError> {
    Ok(load(conn, Some(slug), true)?.into_iter().next())
}

/// The form a ticket was filled with (its version may since be retired).
pub fn form_by_id(conn: &mut DbConn, form_id: &str) -> Result<(Vec<FormField>, Vec<RequiredAttachment>), ServiceError> {
    let form = parsed_form(conn, form_id)?;
    Ok((form.0.clone(), form.1.clone()))
}

/// Every category, the inactive ones too, each with its current form (the admin pages).
pub fn list_all(conn: &mut DbConn) -> Result<Vec<Category>, ServiceError> {
    load(conn, None, false)
}

/// A category by slug, active or not.
pub fn any_by_slug(conn: &mut DbConn, slug: &str) -> Result<Option<Category>, ServiceError> {
    Ok(load(conn, Some(slug), false)?.into_iter().next())
}
