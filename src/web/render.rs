//! The page templates: `templates/{layouts,partials,pages}/*.hbs`, embedded in the binary,
//! HTML-escaped, strict (a missing value is an error, not an empty hole).

use std::sync::LazyLock;

use handlebars::Handlebars;
use serde_json::Value;

#[derive(rust_embed::Embed)]
#[folder = "templates/"]
#[include = "layouts/*.hbs"]
#[include = "partials/*.hbs"]
#[include = "pages/*.hbs"]
struct PageTemplates;

static PAGES: LazyLock<Result<Handlebars<'static>, String>> = LazyLock::new(load);

fn load() -> Result<Handlebars<'static>, String> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_helper("eq", Box::new(eq));
    registry
        .register_embed_templates_with_extension::<PageTemplates>(".hbs")
        .map_err(|e| format!("loading page templates: {e}"))?;
    Ok(registry)
}

handlebars::handlebars_helper!(eq: |a: Value, b: Value| a == b);

/// Renders `pages/<name>` (or any registered template) with `data`.
pub fn render(name: &str, data: &Value) -> Result<String, String> {
    let registry = PAGES.as_ref().map_err(Clone::clone)?;
    registry.render(name, data).map_err(|e| format!("rendering {name}: {e}"))
}

/// The stylesheet, embedded.
pub const CSS: &str = include_str!("../../static/portal.css");

/// The new-ticket page's guide suggestions, embedded.
pub const SUGGEST_JS: &str = include_str!("../../static/kb-suggest.js");
pub const STAFF_CANNED_JS: &str = include_str!("../../static/staff-canned.js");
