//! Duplicate keys and unknown `metadata` fields: a deserializer adapter that sees every key.
//!
//! YAML lets a mapping repeat a key and serde keeps the last value (or, for derived structs,
//! reports it only for some fields), so `spec:` twice silently applied the second one. The
//! adapter wraps the YAML deserializer and every mapping, sequence and value below it, notes
//! each mapping's keys as they are read, and fails on the first repeat. It fails inside the
//! key's own visit, so the YAML crate marks the error with the key's line and the path of its
//! mapping. One mapping can also be given the list of keys it may hold (`metadata`: the
//! fields of a Kubernetes ObjectMeta), because `ObjectMeta` itself ignores unknown fields.
//!
//! Cost: one hash and one copy of each key into a buffer reused across the document; maps
//! with many keys get a hash index, so a hostile 100,000-key mapping stays linear.

use std::cell::RefCell;
use std::fmt;
use std::hash::BuildHasher;

use serde::Deserialize as _;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// The error message the adapter raises; [`KeyCheck::found`] says which key and why.
pub(super) const SENTINEL: &str = "rejected key";

/// The YAML 1.1 merge key.
const MERGE_KEY: &str = "<<";

/// Keys a mapping holds before they are indexed by hash rather than scanned.
const SCAN_LIMIT: usize = 16;

/// Why the adapter stopped a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Rejected {
    /// A key repeated in one mapping.
    Duplicate { key: String },
    /// A key that the mapping does not allow (`metadata`), with the closest allowed one.
    Unknown {
        key: String,
        hint: Option<&'static str>,
    },
    /// A YAML merge key (`<<`): the YAML crate keeps it as a plain key, so it would read as
    /// an unknown field named `<<` and the merged fields would be lost.
    Merge,
}

/// One key of an open mapping: its hash and where its text sits in [`Scratch::text`].
#[derive(Debug, Clone, Copy)]
struct Span {
    hash: u64,
    start: usize,
    end: usize,
}

/// State shared by every wrapper of one document.
#[derive(Debug, Default)]
struct Scratch {
    /// Key text of the open mappings, innermost last (a stack: a mapping truncates its part
    /// away when it ends).
    text: String,
    spans: Vec<Span>,
    /// Keys the next mapping may hold, set just before reading `metadata`.
    allowed: Option<&'static [&'static str]>,
    found: Option<Rejected>,
}

/// The checker of one document: hand [`KeyCheck::wrap`] the YAML deserializer.
#[derive(Debug, Default)]
pub(super) struct KeyCheck {
    scratch: RefCell<Scratch>,
    hasher: foldhash::fast::FixedState,
}

impl KeyCheck {
    /// The deserializer `de`, checked.
    pub(super) fn wrap<D>(&self, de: D) -> Checked<'_, D> {
        Checked { de, check: self }
    }

    /// Restricts the next mapping read to `keys` (call just before reading `metadata`).
    pub(super) fn allow_next(&self, keys: &'static [&'static str]) {
        self.scratch.borrow_mut().allowed = Some(keys);
    }

    /// Lifts a restriction that no mapping took (the value was not a mapping).
    pub(super) fn clear_allowed(&self) {
        self.scratch.borrow_mut().allowed = None;
    }

    /// The rejected key, if the adapter stopped the document.
    pub(super) fn found(&self) -> Option<Rejected> {
        self.scratch.borrow().found.clone()
    }

    /// Opens a mapping: where its keys start, and the keys it may hold.
    fn open(&self) -> Frame {
        let mut s = self.scratch.borrow_mut();
        Frame {
            base: s.spans.len(),
            text_base: s.text.len(),
            allowed: s.allowed.take(),
            index: None,
        }
    }

    /// Forgets a closed mapping's keys.
    fn close(&self, frame: &Frame) {
        let mut s = self.scratch.borrow_mut();
        s.spans.truncate(frame.base);
        s.text.truncate(frame.text_base);
    }

    /// Notes `key` in the mapping of `frame`; `Err` with the reason if it must be refused.
    fn note(&self, frame: &mut Frame, key: &str) -> Result<(), ()> {
        let mut s = self.scratch.borrow_mut();
        if key == MERGE_KEY {
            s.found = Some(Rejected::Merge);
            return Err(());
        }
        if let Some(allowed) = frame.allowed
            && !allowed.contains(&key)
        {
            s.found = Some(Rejected::Unknown {
                key: key.to_owned(),
                hint: closest(key, allowed),
            });
            return Err(());
        }
        let hash = self.hasher.hash_one(key);
        let Scratch { text, spans, .. } = &mut *s;
        let same = |span: &Span| span.hash == hash && &text[span.start..span.end] == key;
        let mine = &spans[frame.base..];
        let repeated = match &frame.index {
            Some(index) => index.contains(&hash) && mine.iter().any(same),
            None => mine.iter().any(same),
        };
        if repeated {
            s.found = Some(Rejected::Duplicate {
                key: key.to_owned(),
            });
            return Err(());
        }
        let start = text.len();
        text.push_str(key);
        spans.push(Span {
            hash,
            start,
            end: text.len(),
        });
        let count = spans.len() - frame.base;
        match &mut frame.index {
            Some(index) => {
                index.insert(hash);
            }
            None if count > SCAN_LIMIT => {
                frame.index = Some(spans[frame.base..].iter().map(|s| s.hash).collect());
            }
            None => {}
        }
        Ok(())
    }
}

/// One open mapping.
struct Frame {
    base: usize,
    text_base: usize,
    allowed: Option<&'static [&'static str]>,
    index: Option<foldhash::HashSet<u64>>,
}

/// The allowed key `key` most likely meant: same letters in another case, or at most two
/// edits away (and fewer than half its length, so `uid` does not suggest `name`).
pub(super) fn closest(key: &str, allowed: &[&'static str]) -> Option<&'static str> {
    if let Some(same) = allowed.iter().find(|a| a.eq_ignore_ascii_case(key)) {
        return Some(same);
    }
    allowed
        .iter()
        .map(|a| {
            (
                edit_distance(&key.to_ascii_lowercase(), &a.to_ascii_lowercase()),
                a,
            )
        })
        .filter(|(d, a)| *d <= 2 && *d * 2 < a.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| *a)
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours (`lables` → `labels` is one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 || a.len() > 64 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// A deserializer whose mappings are checked.
pub(super) struct Checked<'c, D> {
    de: D,
    check: &'c KeyCheck,
}

/// A visitor whose mappings and sequences are checked.
struct Wrap<'c, V> {
    visitor: V,
    check: &'c KeyCheck,
}

/// A seed whose deserializer is checked.
struct Seed<'c, S> {
    seed: S,
    check: &'c KeyCheck,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Checked {
            de,
            check: self.check,
        })
    }
}

/// Forwards `deserialize_*` methods to the inner deserializer with the visitor wrapped.
macro_rules! forward_deserialize {
    ($($method:ident $(($($arg:ident: $ty:ty),*))?;)*) => {
        $(
            fn $method<V: Visitor<'de>>(
                self,
                $($($arg: $ty,)*)?
                visitor: V,
            ) -> Result<V::Value, D::Error> {
                self.de.$method($($($arg,)*)? Wrap { visitor, check: self.check })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Checked<'_, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any; deserialize_bool; deserialize_i8; deserialize_i16; deserialize_i32;
        deserialize_i64; deserialize_i128; deserialize_u8; deserialize_u16; deserialize_u32;
        deserialize_u64; deserialize_u128; deserialize_f32; deserialize_f64; deserialize_char;
        deserialize_str; deserialize_string; deserialize_bytes; deserialize_byte_buf;
        deserialize_option; deserialize_unit; deserialize_seq; deserialize_map;
        deserialize_identifier;
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    /// The YAML crate skips an ignored value without showing its mappings; walking it
    /// instead finds repeated keys under `status` or an unknown top-level field too.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(Wrap {
            visitor: Ignore(visitor),
            check: self.check,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// Accepts anything and answers as its inner visitor would for an ignored value.
struct Ignore<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Ignore<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        de::IgnoredAny::deserialize(de)?;
        self.0.visit_unit()
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        de::IgnoredAny::deserialize(de)?;
        self.0.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        self.0.visit_unit()
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        while map.next_key::<de::IgnoredAny>()?.is_some() {
            map.next_value::<de::IgnoredAny>()?;
        }
        self.0.visit_unit()
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let (de::IgnoredAny, variant) = data.variant()?;
        variant.newtype_variant::<de::IgnoredAny>()?;
        self.0.visit_unit()
    }
}

/// Forwards scalar `visit_*` methods unchanged.
macro_rules! forward_scalars {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.visitor.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward_scalars! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
        visit_str(&str); visit_borrowed_str(&'de str); visit_string(String);
        visit_bytes(&[u8]); visit_borrowed_bytes(&'de [u8]); visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Checked {
            de,
            check: self.check,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(Checked {
            de,
            check: self.check,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(Seq {
            seq,
            check: self.check,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let frame = self.check.open();
        let mut checked = Map {
            map,
            check: self.check,
            frame,
        };
        let result = self.visitor.visit_map(&mut checked);
        self.check.close(&checked.frame);
        result
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(Enum {
            data,
            check: self.check,
        })
    }
}

/// A sequence whose elements are checked.
struct Seq<'c, A> {
    seq: A,
    check: &'c KeyCheck,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.seq.next_element_seed(Seed {
            seed,
            check: self.check,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.seq.size_hint()
    }
}

/// A mapping whose keys are noted and whose values are checked.
struct Map<'c, A> {
    map: A,
    check: &'c KeyCheck,
    frame: Frame,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for &mut Map<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.map.next_key_seed(KeySeed {
            seed,
            check: self.check,
            frame: &mut self.frame,
        })
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.map.next_value_seed(Seed {
            seed,
            check: self.check,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// The seed of one key: its text is noted before the real key visitor sees it.
struct KeySeed<'c, 'f, K> {
    seed: K,
    check: &'c KeyCheck,
    frame: &'f mut Frame,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, '_, K> {
    type Value = K::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<K::Value, D::Error> {
        self.seed.deserialize(Key {
            de,
            check: self.check,
            frame: self.frame,
        })
    }
}

/// The deserializer of one key.
struct Key<'c, 'f, D> {
    de: D,
    check: &'c KeyCheck,
    frame: &'f mut Frame,
}

/// Forwards `deserialize_*` methods of a key with the noting visitor.
macro_rules! forward_key {
    ($($method:ident $(($($arg:ident: $ty:ty),*))?;)*) => {
        $(
            fn $method<V: Visitor<'de>>(
                self,
                $($($arg: $ty,)*)?
                visitor: V,
            ) -> Result<V::Value, D::Error> {
                self.de.$method($($($arg,)*)? KeyVisitor {
                    visitor,
                    check: self.check,
                    frame: self.frame,
                })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Key<'_, '_, D> {
    type Error = D::Error;

    forward_key! {
        deserialize_any; deserialize_bool; deserialize_i8; deserialize_i16; deserialize_i32;
        deserialize_i64; deserialize_i128; deserialize_u8; deserialize_u16; deserialize_u32;
        deserialize_u64; deserialize_u128; deserialize_f32; deserialize_f64; deserialize_char;
        deserialize_str; deserialize_string; deserialize_bytes; deserialize_byte_buf;
        deserialize_option; deserialize_unit; deserialize_seq; deserialize_map;
        deserialize_identifier;
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    /// An ignored key is read as what it is, so that its text can be noted.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(KeyVisitor {
            visitor: Ignore(visitor),
            check: self.check,
            frame: self.frame,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// Notes a scalar key, then hands it to the real visitor.
struct KeyVisitor<'c, 'f, V> {
    visitor: V,
    check: &'c KeyCheck,
    frame: &'f mut Frame,
}

impl<V> KeyVisitor<'_, '_, V> {
    fn note<E: de::Error>(&mut self, key: &str) -> Result<(), E> {
        self.check
            .note(self.frame, key)
            .map_err(|()| E::custom(SENTINEL))
    }
}

/// Notes keys that are numbers or booleans by their text, as Kubernetes (JSON) would.
macro_rules! note_display {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(mut self, v: $ty) -> Result<V::Value, E> {
                self.note(&v.to_string())?;
                self.visitor.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    note_display! {
        visit_bool(bool); visit_i8(i8); visit_i16(i16); visit_i32(i32); visit_i64(i64);
        visit_i128(i128); visit_u8(u8); visit_u16(u16); visit_u32(u32); visit_u64(u64);
        visit_u128(u128); visit_f32(f32); visit_f64(f64); visit_char(char);
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<V::Value, E> {
        self.note(v)?;
        self.visitor.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<V::Value, E> {
        self.note(v)?;
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(mut self, v: String) -> Result<V::Value, E> {
        self.note(&v)?;
        self.visitor.visit_string(v)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.visitor.visit_bytes(v)
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<V::Value, E> {
        self.note("null")?;
        self.visitor.visit_unit()
    }

    fn visit_none<E: de::Error>(mut self) -> Result<V::Value, E> {
        self.note("null")?;
        self.visitor.visit_none()
    }

    // A key that is itself a mapping or a sequence has no text to compare; its own mappings
    // are still checked.
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Checked {
            de,
            check: self.check,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(Checked {
            de,
            check: self.check,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        Wrap {
            visitor: self.visitor,
            check: self.check,
        }
        .visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        Wrap {
            visitor: self.visitor,
            check: self.check,
        }
        .visit_map(map)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        Wrap {
            visitor: self.visitor,
            check: self.check,
        }
        .visit_enum(data)
    }
}

/// An enum whose variant content is checked.
struct Enum<'c, A> {
    data: A,
    check: &'c KeyCheck,
}

impl<'c, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'c, A> {
    type Error = A::Error;
    type Variant = Variant<'c, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.data.variant_seed(seed)?;
        Ok((
            value,
            Variant {
                variant,
                check: self.check,
            },
        ))
    }
}

/// The content of an enum variant, checked.
struct Variant<'c, A> {
    variant: A,
    check: &'c KeyCheck,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.variant.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.variant.newtype_variant_seed(Seed {
            seed,
            check: self.check,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.variant.tuple_variant(
            len,
            Wrap {
                visitor,
                check: self.check,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.variant.struct_variant(
            fields,
            Wrap {
                visitor,
                check: self.check,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_allowed_key() {
        const META: &[&str] = &["name", "namespace", "labels", "annotations", "uid"];
        for (key, want) in [
            ("namspace", Some("namespace")),
            ("Namespace", Some("namespace")),
            ("lables", Some("labels")),
            ("annotation", Some("annotations")),
            ("nmae", Some("name")),
            ("owner", None),
            ("id", Some("uid")),
            ("x", None),
        ] {
            assert_eq!(closest(key, META), want, "{key}");
        }
    }

    #[test]
    fn edit_distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("abc", "abc", 0),
            ("abc", "acb", 1),
            ("abc", "ab", 1),
            ("kitten", "sitting", 3),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
        }
    }
}
