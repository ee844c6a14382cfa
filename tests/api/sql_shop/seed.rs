//! The shop's rows: Jane, the person asking, and the neighbours a careless search would
//! take for her. Written as plain INSERTs every backend reads alike.
//!
//! - Jane (customer 1): stored email "Jane.Doe@Example.com", customer number "JD-1001",
//!   two addresses, four orders (one collected in the shop, without an address) with
//!   items and payments, invoices for three of them, a ticket typed as
//!   "JANE.DOE@example.com", a newsletter subscription; and ticket 31 typed as
//!   "jane.doe@example.com " (a trailing space): a look-alike the search leaves out.
//!   Referred by customer 101.
//! - Look-alike emails: 2 jane.doe@example.org, 3 janedoe@example.com,
//!   4 jane.doe+shop@example.com, 5 jane.doe@example.co (all named Jane Doe).
//! - 6: customer number "jd-1001", which a `_ci` collation takes for Jane's.
//! - 7: John Doe at Jane's first street and postcode, sharing her landline.
//! - 8: Rob, whom Jane referred.
//! - 101..=150: unrelated customers, each with an address, an order of the same
//!   products, its payment and invoice; some with tickets and subscriptions.

pub(crate) const JANE: i64 = 1;
pub(crate) const JANE_EMAIL_STORED: &str = "Jane.Doe@Example.com";
pub(crate) const JANE_EMAIL: &str = "jane.doe@example.com";
pub(crate) const JANE_NUMBER: &str = "JD-1001";
pub(crate) const JANE_PHONE: &str = "+44 20 7946 0001";
pub(crate) const JANE_NAME: &str = "Jane Doe";
/// The customer Jane referred: the only other row her erasure may touch.
pub(crate) const REFERRED: i64 = 8;
/// Shares Jane's phone number.
pub(crate) const HOUSEMATE: i64 = 7;

struct Customer {
    id: i64,
    email: String,
    name: String,
    phone: Option<String>,
    user_ref: String,
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt(s: Option<&str>) -> String {
    s.map(lit).unwrap_or_else(|| "NULL".into())
}

fn insert(table: &str, columns: &str, rows: &[String]) -> String {
    format!(
        "INSERT INTO {table} ({columns}) VALUES {}",
        rows.join(",\n")
    )
}

/// Rows are collected per table, then written in the order foreign keys need.
#[derive(Default)]
struct Shop {
    customers: Vec<String>,
    addresses: Vec<String>,
    orders: Vec<String>,
    items: Vec<String>,
    payments: Vec<String>,
    invoices: Vec<String>,
    tickets: Vec<String>,
    newsletter: Vec<String>,
    next_item: i64,
}

const PRODUCTS: [(i64, &str, &str, &str); 6] = [
    (1, "MUG-01", "Mug", "12.50"),
    (2, "TEE-02", "T-shirt", "19.90"),
    (3, "CAP-03", "Cap", "15.00"),
    (4, "PEN-04", "Pen", "2.40"),
    (5, "BAG-05", "Tote bag", "9.99"),
    (6, "BOOK-06", "Notebook", "6.75"),
];

impl Shop {
    fn customer(&mut self, c: &Customer, created: &str) {
        self.customers.push(format!(
            "({}, {}, {}, {}, {}, NULL, {})",
            c.id,
            lit(&c.email),
            lit(&c.name),
            opt(c.phone.as_deref()),
            lit(&c.user_ref),
            lit(created)
        ));
    }

    fn address(&mut self, id: i64, customer: i64, street: &str, city: &str, postcode: &str) {
        self.addresses.push(format!(
            "({id}, {customer}, {}, {}, {})",
            lit(street),
            lit(city),
            lit(postcode)
        ));
    }

    /// An order of `products` (id, quantity), its payment (id = order id) and, with a
    /// billing name, its invoice (id = order id).
    #[allow(clippy::too_many_arguments)]
    fn order(
        &mut self,
        id: i64,
        customer: i64,
        address: Option<i64>,
        products: &[(i64, i64)],
        day: &str,
        card: &str,
        billing: Option<(&str, &str)>,
    ) {
        let mut cents = 0;
        for (product, qty) in products {
            let (_, _, _, price) = PRODUCTS[(*product - 1) as usize];
            let unit: i64 = price.replace('.', "").parse().expect("a price");
            cents += unit * qty;
            self.next_item += 1;
            self.items.push(format!(
                "({}, {id}, {product}, {qty}, {price})",
                self.next_item
            ));
        }
        let total = format!("{}.{:02}", cents / 100, cents % 100);
        let address = address.map_or("NULL".into(), |a| a.to_string());
        self.orders.push(format!(
            "({id}, {customer}, {address}, {total}, {})",
            lit(&format!("{day} 10:15:00"))
        ));
        self.payments.push(format!(
            "({id}, {id}, {}, {total}, {})",
            lit(card),
            lit(&format!("{day} 10:16:30"))
        ));
        if let Some((name, address)) = billing {
            self.invoices.push(format!(
                "({id}, {id}, {}, {}, {total}, {})",
                lit(name),
                lit(address),
                lit(day)
            ));
        }
    }

    fn ticket(&mut self, id: i64, email: &str, subject: &str, body: &str, day: &str) {
        self.tickets.push(format!(
            "({id}, {}, {}, {}, {})",
            lit(email),
            lit(subject),
            lit(body),
            lit(&format!("{day} 14:00:00"))
        ));
    }

    fn subscription(&mut self, id: i64, email: &str, confirmed: Option<&str>) {
        self.newsletter
            .push(format!("({id}, {}, {})", lit(email), opt(confirmed)));
    }

    fn statements(self) -> Vec<String> {
        let products: Vec<String> = PRODUCTS
            .iter()
            .map(|(id, sku, title, price)| format!("({id}, {}, {}, {price})", lit(sku), lit(title)))
            .collect();
        vec![
            insert("products", "id, sku, title, price", &products),
            insert(
                "customers",
                "id, email, name, phone, user_ref, referred_by, created_at",
                &self.customers,
            ),
            insert(
                "addresses",
                "id, customer_id, street, city, postcode",
                &self.addresses,
            ),
            insert(
                "orders",
                "id, customer_id, shipping_address_id, total, placed_at",
                &self.orders,
            ),
            insert(
                "order_items",
                "id, order_id, product_id, qty, price",
                &self.items,
            ),
            insert(
                "payments",
                "id, order_id, card_last4, amount, paid_at",
                &self.payments,
            ),
            insert(
                "invoices",
                "id, order_id, billing_name, billing_address, amount, issued_on",
                &self.invoices,
            ),
            insert(
                "support_tickets",
                "id, customer_email, subject, body, opened_at",
                &self.tickets,
            ),
            insert(
                "newsletter_subscriptions",
                "id, email, confirmed_at",
                &self.newsletter,
            ),
            // Referrals last: every customer exists by then.
            format!("UPDATE customers SET referred_by = 101 WHERE id = {JANE}"),
            format!("UPDATE customers SET referred_by = {JANE} WHERE id = {REFERRED}"),
            "UPDATE customers SET referred_by = 102 WHERE id IN (103, 104, 7)".into(),
        ]
    }
}

fn person(id: i64, email: &str, name: &str, phone: Option<&str>, user_ref: &str) -> Customer {
    Customer {
        id,
        email: email.into(),
        name: name.into(),
        phone: phone.map(String::from),
        user_ref: user_ref.into(),
    }
}

pub(crate) fn rows() -> Vec<String> {
    let mut shop = Shop::default();
    let elm = "12 Elm Street, Leeds LS1 4AB";

    shop.customer(
        &person(
            JANE,
            JANE_EMAIL_STORED,
            JANE_NAME,
            Some(JANE_PHONE),
            JANE_NUMBER,
        ),
        "2023-02-14 09:30:00",
    );
    shop.address(11, JANE, "12 Elm Street", "Leeds", "LS1 4AB");
    shop.address(12, JANE, "4 Quay Road", "Bristol", "BS1 5TT");
    let billing = Some((JANE_NAME, elm));
    shop.order(
        21,
        JANE,
        Some(11),
        &[(1, 2), (2, 1)],
        "2024-01-10",
        "4242",
        billing,
    );
    shop.order(22, JANE, Some(11), &[(3, 1)], "2024-03-02", "4242", billing);
    shop.order(
        23,
        JANE,
        None,
        &[(4, 10), (6, 2)],
        "2024-06-21",
        "1881",
        billing,
    );
    shop.order(
        24,
        JANE,
        Some(12),
        &[(5, 1), (1, 1)],
        "2024-11-30",
        "1881",
        None,
    );
    shop.ticket(
        31,
        "jane.doe@example.com ",
        "Where is my order?",
        "Order 22 has not arrived at 12 Elm Street.",
        "2024-03-09",
    );
    shop.ticket(
        32,
        "JANE.DOE@example.com",
        "Wrong size",
        "The T-shirt is too small, can I swap it?",
        "2024-01-15",
    );
    shop.subscription(41, JANE_EMAIL, Some("2023-02-14 09:31:00"));

    let neighbours = [
        person(
            2,
            "Jane.Doe@example.org",
            JANE_NAME,
            Some("+44 20 7946 0002"),
            "JD-1002",
        ),
        person(3, "janedoe@example.com", JANE_NAME, None, "JD-1003"),
        person(4, "jane.doe+shop@example.com", JANE_NAME, None, "JD-1004"),
        person(5, "jane.doe@example.co", JANE_NAME, None, "JD-1005"),
        person(6, "j.doe@example.net", "Jonas Doe", None, "jd-1001"),
        person(
            7,
            "john.doe@example.net",
            "John Doe",
            Some(JANE_PHONE),
            "JD-1007",
        ),
        person(8, "rob.miles@example.net", "Rob Miles", None, "RM-2040"),
    ];
    for (n, c) in neighbours.iter().enumerate() {
        let n = n as i64;
        shop.customer(c, "2023-05-01 12:00:00");
        let (street, city, postcode) = if c.id == HOUSEMATE {
            ("12 Elm Street", "Leeds", "LS1 4AB")
        } else {
            ("7 Mill Lane", "York", "YO1 7HH")
        };
        shop.address(10 + c.id * 10 + 3, c.id, street, city, postcode);
        let address = format!("{street}, {city} {postcode}");
        // The same products Jane bought.
        shop.order(
            100 + n,
            c.id,
            Some(10 + c.id * 10 + 3),
            &[(1, 1), (2, 2)],
            "2024-01-10",
            "4242",
            Some((&c.name, &address)),
        );
    }
    shop.ticket(
        33,
        "jane.doe@example.org",
        "Invoice copy",
        "Please resend it.",
        "2024-02-01",
    );
    shop.ticket(
        34,
        "janedoe@example.com",
        "Login",
        "I cannot sign in.",
        "2024-02-02",
    );
    shop.ticket(
        35,
        " jane.doe+shop@example.com",
        "Refund",
        "Order refund?",
        "2024-02-03",
    );
    shop.ticket(
        36,
        "jane.doe@example.co",
        "Typo",
        "My email has a typo.",
        "2024-02-04",
    );
    shop.subscription(42, "jane.doe@example.co", None);
    shop.subscription(43, "JaneDoe@example.com", Some("2023-06-01 08:00:00"));
    shop.subscription(44, "jane.doe@example.org", Some("2023-06-02 08:00:00"));

    for n in 101..=150_i64 {
        let c = person(
            n,
            &format!("Customer{n}@Example.net"),
            &format!("Customer {n}"),
            Some(&format!("+44 161 496 {n:04}")),
            &format!("C-{n}"),
        );
        shop.customer(&c, "2022-09-01 08:00:00");
        let address_id = 1000 + n;
        shop.address(
            address_id,
            n,
            &format!("{n} High Street"),
            "Manchester",
            "M1 1AA",
        );
        let products = [(1 + n % 6, 1 + n % 3), (1 + (n + 2) % 6, 1)];
        let day = format!("2024-{:02}-{:02}", 1 + n % 12, 1 + n % 28);
        let billing = format!("{n} High Street, Manchester M1 1AA");
        shop.order(
            2000 + n,
            n,
            Some(address_id),
            &products,
            &day,
            "0005",
            Some((&c.name, &billing)),
        );
        if n % 5 == 0 {
            shop.ticket(3000 + n, &c.email, "Question", "When do you restock?", &day);
        }
        if n % 3 == 0 {
            shop.subscription(
                4000 + n,
                &c.email.to_lowercase(),
                Some("2023-01-01 00:00:00"),
            );
        }
    }
    shop.statements()
}
