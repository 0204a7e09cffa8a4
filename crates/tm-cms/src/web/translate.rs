//! Texts in templates, in the page's language (`crate::i18n`). Each language has its own tera
//! instance with these functions bound to it:
//!
//! * `t(key="room-post", …)`: the Fluent message `key`; every other argument is one of its
//!   variables (strings as text, numbers as numbers, so plurals select). The result is text:
//!   autoescaping applies, like to any other value;
//! * `number` (filter): a number written the language's way (`1.234`);
//! * `client_strings()`: the JSON of the strings the scripts use (`i18n::client`), safe inside
//!   `<script type="application/json">`.

use std::collections::HashMap;

use fluent_bundle::{FluentArgs, FluentValue};
use tera::{Function, Value};

use crate::i18n::{client, format, Locale};

/// Registers the functions and filters of `locale`.
pub fn register(tera: &mut tera::Tera, locale: Locale) {
    tera.register_function("t", Translate(locale));
    tera.register_function("client_strings", ClientStrings(locale));
    tera.register_filter("number", move |value: &Value, _: &HashMap<String, Value>| {
        let n = value
            .as_f64()
            .ok_or_else(|| tera::Error::msg(format!("number: {value} is not a number")))?;
        Ok(Value::String(format::number(locale, n)))
    });
}

struct Translate(Locale);

impl Function for Translate {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let key = args
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| tera::Error::msg("t() needs key=\"…\""))?;
        let mut fluent = FluentArgs::new();
        for (name, value) in args.iter().filter(|(name, _)| name.as_str() != "key") {
            fluent.set(name.clone(), fluent_value(value));
        }
        Ok(Value::String(self.0.text(key, Some(&fluent))))
    }
}

fn fluent_value(value: &Value) -> FluentValue<'static> {
    match value {
        Value::Number(n) => n.as_f64().map_or(FluentValue::None, FluentValue::from),
        Value::String(s) => FluentValue::from(s.clone()),
        Value::Bool(b) => FluentValue::from(b.to_string()),
        Value::Null => FluentValue::None,
        other => FluentValue::from(other.to_string()),
    }
}

struct ClientStrings(Locale);

impl Function for ClientStrings {
    fn call(&self, _: &HashMap<String, Value>) -> tera::Result<Value> {
        Ok(Value::String(client::json(self.0)))
    }

    /// JSON we escaped ourselves (`i18n::client::json`), for a `<script>` element, where
    /// HTML escaping would not be undone.
    fn is_safe(&self) -> bool {
        true
    }
}
