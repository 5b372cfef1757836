//! Compact in-memory forms of status values, for the controller's stores (BENCHMARKS.md, "The
//! controller"): tens of thousands of objects publish the same condition types, reasons and
//! messages, and maps of one or two entries. On the wire and in the CRD schema they are exactly
//! the plain forms (`string`, `map[string]string`).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;

use internment::ArcIntern;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A string every holder of the same text shares (one pointer each); freed with its last
/// holder.
#[derive(Clone)]
pub struct Text(ArcIntern<String>);

// Equal texts are one allocation, but the order and hash are the text's, as for `str`.
impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Text {
    /// The shared copy of `s`.
    pub fn new(s: &str) -> Self {
        Self(ArcIntern::from_ref(s))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::new("")
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Borrowed where the format allows: an already shared text costs no allocation.
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::new(&s))
    }
}

impl JsonSchema for Text {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        String::schema_name()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(generator)
    }
}

/// A string-to-string map kept as a sorted vector of boxed strings: status maps hold one or
/// two entries, where a `BTreeMap` allocates a node for eleven (~540 B) and a `String` keeps
/// a capacity word.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SmallMap(Vec<(Box<str>, Box<str>)>);

impl SmallMap {
    /// An empty map.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).ok().map(|i| &*self.0[i].1)
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: &str, value: &str) -> Option<Box<str>> {
        match self.position(key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value.into())),
            Err(i) => {
                self.0.insert(i, (key.into(), value.into()));
                None
            }
        }
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<str>> {
        self.position(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for SmallMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (k, v) in iter {
            map.insert(k.as_ref(), v.as_ref());
        }
        map.0.shrink_to_fit();
        map
    }
}

impl fmt::Debug for SmallMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for SmallMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for SmallMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<Box<str>, Box<str>>::deserialize(deserializer)?;
        // Sorted and unique already; exact capacity.
        Ok(Self(map.into_iter().collect()))
    }
}

impl JsonSchema for SmallMap {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<String, String>>::schema_name()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, String>>::json_schema(generator)
    }
}

/// A list read at its exact length: a decoder grows a `Vec` by doubling (five conditions
/// would keep room for eight), and the stores keep what they read for the process's life.
pub(crate) fn shrunk<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list = Vec::<T>::deserialize(deserializer)?;
    list.shrink_to_fit();
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_allocation() {
        let a = Text::new("The last reconcile reached the portal without error.");
        let b: Text =
            serde_json::from_str("\"The last reconcile reached the portal without error.\"")
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "one copy");
        assert_eq!(
            serde_json::to_string(&b).ok().as_deref(),
            Some("\"The last reconcile reached the portal without error.\"")
        );
        assert_eq!(a, "The last reconcile reached the portal without error.");
    }

    #[test]
    fn a_small_map_reads_and_writes_as_a_map() {
        let json = r#"{"daas/customers":"c-1","azure/tenants":"t-9"}"#;
        let mut map: SmallMap = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            map.keys().collect::<Vec<_>>(),
            ["azure/tenants", "daas/customers"]
        );
        assert_eq!(map.get("daas/customers"), Some("c-1"));
        assert_eq!(map.insert("daas/customers", "c-2").as_deref(), Some("c-1"));
        assert_eq!(map.insert("apps/licenses", "l-1"), None);
        assert_eq!(
            map.keys().collect::<Vec<_>>(),
            ["apps/licenses", "azure/tenants", "daas/customers"]
        );
        assert_eq!(map.remove("azure/tenants").as_deref(), Some("t-9"));
        let back = serde_json::to_string(&map).unwrap_or_default();
        assert_eq!(back, r#"{"apps/licenses":"l-1","daas/customers":"c-2"}"#);
        let plain: BTreeMap<String, String> = serde_json::from_str(&back).unwrap_or_default();
        assert_eq!(plain.iter().collect::<SmallMap>(), map);
    }

    #[test]
    fn the_schemas_are_the_plain_ones() {
        let mut generator = schemars::SchemaGenerator::default();
        assert_eq!(
            Text::json_schema(&mut generator),
            String::json_schema(&mut generator)
        );
        assert_eq!(
            SmallMap::json_schema(&mut generator),
            <BTreeMap<String, String>>::json_schema(&mut generator)
        );
    }
}
