//! The file line of a field path in a document.
//!
//! The YAML crate gives positions only with its errors, so the document is read once more
//! along the path and fails on purpose at the value: the error carries the value's line, the
//! same line a type error at that field reports. Only used for problems, so the extra read
//! costs nothing on valid input.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::split::Chunk;
use crate::api::schema::Step;

/// The error raised at the value sought.
const HERE: &str = "the value sought";

/// The file line where the value at `steps` starts (for a block mapping, its first key's line),
/// or `None` when the path is not in the document.
pub(super) fn line_of(chunk: &Chunk<'_>, steps: &[Step]) -> Option<usize> {
    let err = Find { steps }
        .deserialize(serde_yaml::Deserializer::from_str(chunk.text))
        .err()?;
    if !err.to_string().contains(HERE) {
        return None;
    }
    let last_line = chunk.first_line + chunk.text.trim_end_matches('\n').matches('\n').count();
    let line = err.location()?.line();
    Some((chunk.first_line + line.saturating_sub(1)).min(last_line))
}

/// Walks to the value at `steps` and fails there; passes over everything else.
struct Find<'s> {
    steps: &'s [Step],
}

impl<'de> DeserializeSeed<'de> for Find<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Find<'_> {
    /// Fails at the value sought; any other value on the way means the path is not there.
    fn end<E: de::Error>(&self) -> Result<(), E> {
        if self.steps.is_empty() {
            Err(E::custom(HERE))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for Find<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.end()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.end()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.end()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.end()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.end()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.end()
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.end()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Step::Key(want), rest)) = self.steps.split_first() else {
            return self.end();
        };
        // Keys that are not text (`1:`) cannot be on a path of a spec; read them as anything.
        while let Some(key) = map.next_key::<KeyText>()? {
            if key.0.as_deref() == Some(want.as_str()) {
                return map.next_value_seed(Find { steps: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Step::Index(want), rest)) = self.steps.split_first() else {
            return self.end();
        };
        let mut i = 0;
        loop {
            if i == *want {
                return seq.next_element_seed(Find { steps: rest }).map(|_| ());
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// A mapping key: its text, or `None` for a key of another type.
struct KeyText(Option<String>);

impl<'de> serde::Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(Some(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyText, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(KeyText(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyText, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyText(None))
            }
        }
        deserializer.deserialize_any(Text)
    }
}
