//! The demo data set: a single-table e-commerce shop (Customer, Order,
//! OrderItem, Product, Review), generated deterministically from a seed
//! number. The design lives in `config/demo/dyntui.toml`.

use std::collections::HashMap;

use aws_smithy_types::Blob;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{AttributeValue, Item};

/// Sizes of the demo data set.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub customers: usize,
    pub products: usize,
    pub orders: usize,
    pub reviews: usize,
}

impl Default for DemoSize {
    /// About 6,400 items.
    fn default() -> Self {
        DemoSize {
            customers: 400,
            products: 120,
            orders: 1500,
            reviews: 900,
        }
    }
}

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "Tim",
    "Katherine",
    "Guido",
    "Sophie",
    "Bjarne",
    "Joan",
    "Niklaus",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Johnson",
    "van Rossum",
    "Wilson",
    "Stroustrup",
    "Clarke",
    "Wirth",
];
const CITIES: &[(&str, &str)] = &[
    ("Seattle", "US"),
    ("Austin", "US"),
    ("New York", "US"),
    ("Toronto", "CA"),
    ("London", "GB"),
    ("Dublin", "IE"),
    ("Berlin", "DE"),
    ("Paris", "FR"),
    ("Madrid", "ES"),
    ("Tokyo", "JP"),
    ("Sydney", "AU"),
    ("São Paulo", "BR"),
];
const CATEGORIES: &[(&str, &[&str])] = &[
    ("Books", &["Handbook", "Field Guide", "Cookbook", "Primer"]),
    ("Kitchen", &["Kettle", "Chef Knife", "Skillet", "Grinder"]),
    ("Outdoor", &["Tent", "Lantern", "Backpack", "Hammock"]),
    (
        "Audio",
        &["Headphones", "Speaker", "Turntable", "Microphone"],
    ),
    (
        "Office",
        &["Desk Lamp", "Notebook", "Fountain Pen", "Monitor Arm"],
    ),
];
const ADJ: &[&str] = &[
    "Classic", "Compact", "Deluxe", "Everyday", "Heritage", "Nordic", "Pro", "Travel", "Ultra",
    "Vintage",
];
const STATUSES: &[&str] = &[
    "PLACED",
    "PAID",
    "SHIPPED",
    "DELIVERED",
    "CANCELLED",
    "RETURNED",
];
const TIERS: &[&str] = &["standard", "silver", "gold", "platinum"];
const TITLES: &[&str] = &[
    "Does the job",
    "Better than expected",
    "Would buy again",
    "Not for me",
    "Great value",
    "Arrived late but works",
    "Five stars",
];

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
/// Cents as an exact decimal string, normalised as DynamoDB stores numbers
/// (no trailing fraction zeros): 12995 -> "129.95", 12990 -> "129.9", 12900 -> "129".
fn money(cents: i64) -> AttributeValue {
    let s = format!("{}.{:02}", cents / 100, cents % 100);
    AttributeValue::N(s.trim_end_matches('0').trim_end_matches('.').to_string())
}
fn date(rng: &mut ChaCha8Rng, year_from: i32) -> String {
    let y = year_from + rng.random_range(0..2);
    let m = rng.random_range(1..=12);
    let d = rng.random_range(1..=28);
    format!("{y:04}-{m:02}-{d:02}")
}

struct Product {
    sku: String,
    name: String,
    cents: i64,
}

/// Generates the demo items: the same items for the same seed.
pub fn generate(seed: u64, size: DemoSize) -> Vec<Item> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out =
        Vec::with_capacity(size.customers + size.products + size.orders * 4 + size.reviews);

    let mut products = Vec::with_capacity(size.products);
    for i in 0..size.products {
        let (cat, nouns) = CATEGORIES[i % CATEGORIES.len()];
        let noun = nouns.choose(&mut rng).copied().unwrap_or("Thing");
        let adj = ADJ.choose(&mut rng).copied().unwrap_or("Plain");
        let sku = format!("{}-{:04}", &cat[..3].to_ascii_uppercase(), 1000 + i);
        let name = format!("{adj} {noun}");
        let cents = rng.random_range(499..=49_999);
        let mut tags = vec![cat.to_ascii_lowercase(), adj.to_ascii_lowercase()];
        if rng.random_bool(0.3) {
            tags.push("bestseller".into());
        }
        tags.sort();
        tags.dedup();
        let mut dims = HashMap::new();
        dims.insert("widthCm".into(), n(rng.random_range(5..80)));
        dims.insert("heightCm".into(), n(rng.random_range(2..60)));
        dims.insert("weightKg".into(), {
            let (kg, tenth) = (rng.random_range(0..12), rng.random_range(0..10));
            if tenth == 0 {
                n(kg)
            } else {
                AttributeValue::N(format!("{kg}.{tenth}"))
            }
        });
        let thumb: Vec<u8> = (0..12).map(|_| rng.random()).collect();
        let item = Item::from([
            ("PK".into(), s(format!("PRODUCT#{sku}"))),
            ("SK".into(), s(format!("PRODUCT#{sku}"))),
            ("GSI2PK".into(), s(format!("CATEGORY#{cat}"))),
            ("GSI2SK".into(), s(format!("PRODUCT#{sku}"))),
            ("Type".into(), s("Product")),
            ("sku".into(), s(&sku)),
            ("name".into(), s(&name)),
            ("category".into(), s(cat)),
            ("price".into(), money(cents)),
            ("stock".into(), n(rng.random_range(0..500))),
            ("active".into(), AttributeValue::Bool(rng.random_bool(0.9))),
            ("tags".into(), AttributeValue::Ss(tags)),
            ("dimensions".into(), AttributeValue::M(dims)),
            ("thumbnail".into(), AttributeValue::B(Blob::new(thumb))),
        ]);
        out.push(item);
        products.push(Product { sku, name, cents });
    }

    let mut customers = Vec::with_capacity(size.customers);
    for i in 0..size.customers {
        let id = format!("c{:05}", i + 1);
        let first = FIRST.choose(&mut rng).copied().unwrap_or("Sam");
        let last = LAST.choose(&mut rng).copied().unwrap_or("Doe");
        let (city, country) = CITIES
            .choose(&mut rng)
            .copied()
            .unwrap_or(("Seattle", "US"));
        let email = format!(
            "{}.{}{}@example.com",
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase().replace([' ', '-'], ""),
            i + 1
        );
        let mut address = HashMap::new();
        address.insert(
            "street".into(),
            s(format!(
                "{} {} Street",
                rng.random_range(1..999),
                LAST[i % LAST.len()]
            )),
        );
        address.insert("city".into(), s(city));
        address.insert("country".into(), s(country));
        let mut item = Item::from([
            ("PK".into(), s(format!("CUSTOMER#{id}"))),
            ("SK".into(), s(format!("CUSTOMER#{id}"))),
            ("GSI1PK".into(), s(format!("EMAIL#{email}"))),
            ("GSI1SK".into(), s(format!("CUSTOMER#{id}"))),
            ("Type".into(), s("Customer")),
            ("customerId".into(), s(&id)),
            ("name".into(), s(format!("{first} {last}"))),
            ("email".into(), s(&email)),
            ("city".into(), s(city)),
            ("address".into(), AttributeValue::M(address)),
            (
                "tier".into(),
                s(TIERS.choose(&mut rng).copied().unwrap_or("standard")),
            ),
            ("loyaltyPoints".into(), n(rng.random_range(0..20_000))),
            (
                "createdAt".into(),
                s(format!("{}T09:00:00Z", date(&mut rng, 2022))),
            ),
            (
                "marketingOptIn".into(),
                AttributeValue::Bool(rng.random_bool(0.4)),
            ),
        ]);
        if rng.random_bool(0.2) {
            item.insert("phone".into(), AttributeValue::Null(true));
        }
        out.push(item);
        customers.push((id, city.to_string()));
    }

    for i in 0..size.orders {
        if customers.is_empty() || products.is_empty() {
            break;
        }
        let order_id = format!("o{:06}", i + 1);
        let (cust, city) = &customers[rng.random_range(0..customers.len())];
        let order_date = date(&mut rng, 2024);
        let status = STATUSES.choose(&mut rng).copied().unwrap_or("PLACED");
        let lines = rng.random_range(1..=4usize);
        let mut total = 0i64;
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..lines {
            let p = rng.random_range(0..products.len());
            if chosen.contains(&p) {
                continue;
            }
            chosen.push(p);
            let prod = &products[p];
            let qty = rng.random_range(1..=3i64);
            let line = prod.cents * qty;
            total += line;
            out.push(Item::from([
                ("PK".into(), s(format!("ORDER#{order_id}"))),
                ("SK".into(), s(format!("ITEM#{}", prod.sku))),
                ("GSI1PK".into(), s(format!("ORDER#{order_id}"))),
                ("GSI1SK".into(), s(format!("ITEM#{}", prod.sku))),
                ("GSI2PK".into(), s(format!("PRODUCT#{}", prod.sku))),
                ("GSI2SK".into(), s(format!("ORDER#{order_id}"))),
                ("Type".into(), s("OrderItem")),
                ("orderId".into(), s(&order_id)),
                ("sku".into(), s(&prod.sku)),
                ("productName".into(), s(&prod.name)),
                ("quantity".into(), n(qty)),
                ("unitPrice".into(), money(prod.cents)),
                ("lineTotal".into(), money(line)),
            ]));
        }
        let mut shipping = HashMap::new();
        shipping.insert("city".into(), s(city.as_str()));
        shipping.insert(
            "method".into(),
            s(if rng.random_bool(0.2) {
                "express"
            } else {
                "standard"
            }),
        );
        out.push(Item::from([
            ("PK".into(), s(format!("CUSTOMER#{cust}"))),
            ("SK".into(), s(format!("ORDER#{order_date}#{order_id}"))),
            ("GSI1PK".into(), s(format!("ORDER#{order_id}"))),
            ("GSI1SK".into(), s(format!("ORDER#{order_id}"))),
            ("GSI2PK".into(), s(format!("STATUS#{status}"))),
            ("GSI2SK".into(), s(format!("{order_date}#{order_id}"))),
            ("Type".into(), s("Order")),
            ("orderId".into(), s(&order_id)),
            ("customerId".into(), s(cust.as_str())),
            ("orderDate".into(), s(&order_date)),
            ("status".into(), s(status)),
            ("total".into(), money(total)),
            ("currency".into(), s("USD")),
            ("itemCount".into(), n(chosen.len())),
            ("shipping".into(), AttributeValue::M(shipping)),
        ]));
    }

    let mut seen = std::collections::HashSet::new();
    for _ in 0..size.reviews {
        if customers.is_empty() || products.is_empty() {
            break;
        }
        let prod = &products[rng.random_range(0..products.len())];
        let (cust, _) = &customers[rng.random_range(0..customers.len())];
        let review_date = date(&mut rng, 2024);
        if !seen.insert((prod.sku.clone(), review_date.clone(), cust.clone())) {
            continue;
        }
        let rating = rng.random_range(1..=5);
        let mut item = Item::from([
            ("PK".into(), s(format!("PRODUCT#{}", prod.sku))),
            ("SK".into(), s(format!("REVIEW#{review_date}#{cust}"))),
            ("GSI1PK".into(), s(format!("CUSTOMER#{cust}"))),
            ("GSI1SK".into(), s(format!("REVIEW#{review_date}"))),
            ("Type".into(), s("Review")),
            ("sku".into(), s(&prod.sku)),
            ("customerId".into(), s(cust.as_str())),
            ("reviewDate".into(), s(&review_date)),
            ("rating".into(), n(rating)),
            (
                "title".into(),
                s(TITLES.choose(&mut rng).copied().unwrap_or("Ok")),
            ),
            (
                "verified".into(),
                AttributeValue::Bool(rng.random_bool(0.7)),
            ),
            ("helpfulVotes".into(), n(rng.random_range(0..40))),
        ]);
        if rng.random_bool(0.3) {
            item.insert(
                "body".into(),
                s("Used it every day for a month.\nStill going strong."),
            );
        }
        out.push(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_deterministic_and_large_enough() {
        let a = generate(7, DemoSize::default());
        let b = generate(7, DemoSize::default());
        assert_eq!(a, b);
        assert!(a.len() >= 5_000, "only {} items", a.len());
        let c = generate(8, DemoSize::default());
        assert_ne!(a, c);
    }

    #[test]
    fn demo_keys_are_unique_and_typed() {
        let items = generate(1, DemoSize::default());
        let mut keys = std::collections::HashSet::new();
        for it in &items {
            let pk = it.get("PK").and_then(|v| v.as_s().ok()).expect("PK");
            let sk = it.get("SK").and_then(|v| v.as_s().ok()).expect("SK");
            assert!(
                keys.insert((pk.clone(), sk.clone())),
                "duplicate key {pk} {sk}"
            );
            assert!(it.contains_key("Type"));
        }
    }
}
