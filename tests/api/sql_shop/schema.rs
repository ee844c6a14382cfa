//! The shop's tables on each backend, with the indexes `check-config` asks for (every
//! identity and reference column, emails through `lower()` where the backend compares
//! case-folded), and the triggers that make an erasure fail half-way.
//!
//! Nine tables: customers (with a self-reference, `referred_by`), addresses, orders
//! (shipped to an address), order items of products (no personal data), payments,
//! invoices, and two tables no foreign key reaches: support tickets and newsletter
//! subscriptions, named by an email typed by the person.

use super::Backend;

/// Tables in the order they are dropped (children first).
pub(crate) const TABLES: [&str; 9] = [
    "support_tickets",
    "newsletter_subscriptions",
    "invoices",
    "payments",
    "order_items",
    "orders",
    "addresses",
    "products",
    "customers",
];

pub(crate) fn create(backend: Backend) -> Vec<String> {
    let mut statements = match backend {
        Backend::Postgres => postgres(),
        Backend::MySql => mysql(),
        Backend::Sqlite => sqlite(),
    };
    statements.extend(indexes(backend));
    statements
}

fn postgres() -> Vec<String> {
    [
        "CREATE TABLE customers (id bigint PRIMARY KEY, email varchar(200) NOT NULL,
            name text NOT NULL, phone varchar(40), user_ref varchar(40),
            referred_by bigint REFERENCES customers (id), created_at timestamp NOT NULL)",
        "CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL, title text NOT NULL,
            price numeric(10,2) NOT NULL)",
        "CREATE TABLE addresses (id bigint PRIMARY KEY,
            customer_id bigint NOT NULL REFERENCES customers (id), street text NOT NULL,
            city text NOT NULL, postcode varchar(12) NOT NULL)",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id),
            shipping_address_id bigint REFERENCES addresses (id), total numeric(10,2) NOT NULL,
            placed_at timestamp NOT NULL)",
        "CREATE TABLE order_items (id bigint PRIMARY KEY,
            order_id bigint NOT NULL REFERENCES orders (id),
            product_id bigint NOT NULL REFERENCES products (id), qty integer NOT NULL,
            price numeric(10,2) NOT NULL)",
        "CREATE TABLE payments (id bigint PRIMARY KEY,
            order_id bigint NOT NULL REFERENCES orders (id), card_last4 char(4),
            amount numeric(10,2) NOT NULL, paid_at timestamp NOT NULL)",
        "CREATE TABLE invoices (id bigint PRIMARY KEY,
            order_id bigint NOT NULL REFERENCES orders (id), billing_name varchar(200) NOT NULL,
            billing_address text NOT NULL, amount numeric(10,2) NOT NULL, issued_on date NOT NULL)",
        "CREATE TABLE support_tickets (id bigint PRIMARY KEY, customer_email varchar(200) NOT NULL,
            subject text NOT NULL, body text NOT NULL, opened_at timestamp NOT NULL)",
        "CREATE TABLE newsletter_subscriptions (id bigint PRIMARY KEY,
            email varchar(200) NOT NULL, confirmed_at timestamp)",
    ]
    .map(String::from)
    .to_vec()
}

/// The database's default collation is `utf8mb4_general_ci` (see the fixture): every
/// text column folds case and ignores trailing spaces, as many shops' databases do.
fn mysql() -> Vec<String> {
    [
        "CREATE TABLE customers (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL,
            name VARCHAR(200) NOT NULL, phone VARCHAR(40), user_ref VARCHAR(40),
            referred_by BIGINT, created_at DATETIME NOT NULL,
            FOREIGN KEY (referred_by) REFERENCES customers (id)) ENGINE=InnoDB",
        "CREATE TABLE products (id BIGINT PRIMARY KEY, sku VARCHAR(40) NOT NULL,
            title VARCHAR(200) NOT NULL, price DECIMAL(10,2) NOT NULL) ENGINE=InnoDB",
        "CREATE TABLE addresses (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL,
            street VARCHAR(200) NOT NULL, city VARCHAR(100) NOT NULL,
            postcode VARCHAR(12) NOT NULL,
            FOREIGN KEY (customer_id) REFERENCES customers (id)) ENGINE=InnoDB",
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT,
            shipping_address_id BIGINT, total DECIMAL(10,2) NOT NULL, placed_at DATETIME NOT NULL,
            FOREIGN KEY (customer_id) REFERENCES customers (id),
            FOREIGN KEY (shipping_address_id) REFERENCES addresses (id)) ENGINE=InnoDB",
        "CREATE TABLE order_items (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL,
            product_id BIGINT NOT NULL, qty INT NOT NULL, price DECIMAL(10,2) NOT NULL,
            FOREIGN KEY (order_id) REFERENCES orders (id),
            FOREIGN KEY (product_id) REFERENCES products (id)) ENGINE=InnoDB",
        "CREATE TABLE payments (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL,
            card_last4 CHAR(4), amount DECIMAL(10,2) NOT NULL, paid_at DATETIME NOT NULL,
            FOREIGN KEY (order_id) REFERENCES orders (id)) ENGINE=InnoDB",
        "CREATE TABLE invoices (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL,
            billing_name VARCHAR(200) NOT NULL, billing_address TEXT NOT NULL,
            amount DECIMAL(10,2) NOT NULL, issued_on DATE NOT NULL,
            FOREIGN KEY (order_id) REFERENCES orders (id)) ENGINE=InnoDB",
        "CREATE TABLE support_tickets (id BIGINT PRIMARY KEY, customer_email VARCHAR(200) NOT NULL,
            subject VARCHAR(200) NOT NULL, body TEXT NOT NULL, opened_at DATETIME NOT NULL)
            ENGINE=InnoDB",
        "CREATE TABLE newsletter_subscriptions (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL,
            confirmed_at DATETIME) ENGINE=InnoDB",
    ]
    .map(String::from)
    .to_vec()
}

fn sqlite() -> Vec<String> {
    [
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
            phone TEXT, user_ref TEXT, referred_by INTEGER REFERENCES customers (id),
            created_at TEXT NOT NULL)",
        "CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL,
            price NUMERIC NOT NULL)",
        "CREATE TABLE addresses (id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers (id), street TEXT NOT NULL,
            city TEXT NOT NULL, postcode TEXT NOT NULL)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id),
            shipping_address_id INTEGER REFERENCES addresses (id), total NUMERIC NOT NULL,
            placed_at TEXT NOT NULL)",
        "CREATE TABLE order_items (id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id),
            product_id INTEGER NOT NULL REFERENCES products (id), qty INTEGER NOT NULL,
            price NUMERIC NOT NULL)",
        "CREATE TABLE payments (id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id), card_last4 TEXT,
            amount NUMERIC NOT NULL, paid_at TEXT NOT NULL)",
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY,
            order_id INTEGER NOT NULL REFERENCES orders (id), billing_name TEXT NOT NULL,
            billing_address TEXT NOT NULL, amount NUMERIC NOT NULL, issued_on TEXT NOT NULL)",
        "CREATE TABLE support_tickets (id INTEGER PRIMARY KEY, customer_email TEXT NOT NULL,
            subject TEXT NOT NULL, body TEXT NOT NULL, opened_at TEXT NOT NULL)",
        "CREATE TABLE newsletter_subscriptions (id INTEGER PRIMARY KEY, email TEXT NOT NULL,
            confirmed_at TEXT)",
    ]
    .map(String::from)
    .to_vec()
}

/// What `check-config` advises: an index leading with every identity and reference
/// column; emails through `lower()` on PostgreSQL and SQLite, where the search folds
/// case with it, and plain on MySQL, whose `_ci` collation folds already.
fn indexes(backend: Backend) -> Vec<String> {
    let email = |table: &str, column: &str| match backend {
        Backend::MySql => format!("CREATE INDEX {table}_{column} ON {table} ({column})"),
        _ => format!("CREATE INDEX {table}_{column}_lower ON {table} (lower({column}))"),
    };
    let plain =
        |table: &str, column: &str| format!("CREATE INDEX {table}_{column} ON {table} ({column})");
    vec![
        email("customers", "email"),
        plain("customers", "user_ref"),
        plain("customers", "phone"),
        plain("customers", "referred_by"),
        plain("addresses", "customer_id"),
        plain("orders", "customer_id"),
        plain("orders", "shipping_address_id"),
        plain("order_items", "order_id"),
        plain("payments", "order_id"),
        plain("invoices", "order_id"),
        email("support_tickets", "customer_email"),
        email("newsletter_subscriptions", "email"),
    ]
}

/// A trigger that refuses every change to invoices: the erasure fails after the steps
/// before it ran, and must leave nothing of them behind.
pub(crate) fn failing_invoice_update(backend: Backend) -> Vec<String> {
    match backend {
        Backend::Postgres => vec![
            "CREATE FUNCTION refuse_invoice_change() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'invoices are locked for the audit'; END $$"
                .into(),
            "CREATE TRIGGER invoices_locked BEFORE UPDATE ON invoices
             FOR EACH ROW EXECUTE FUNCTION refuse_invoice_change()"
                .into(),
        ],
        Backend::MySql => vec!["CREATE TRIGGER invoices_locked BEFORE UPDATE ON invoices
             FOR EACH ROW SIGNAL SQLSTATE '45000'
             SET MESSAGE_TEXT = 'invoices are locked for the audit'"
            .into()],
        Backend::Sqlite => vec!["CREATE TRIGGER invoices_locked BEFORE UPDATE ON invoices
             BEGIN SELECT RAISE(ABORT, 'invoices are locked for the audit'); END"
            .into()],
    }
}

/// A trigger that refuses deleting support tickets: the last kind of step, after every
/// update and the other deletions.
pub(crate) fn failing_ticket_delete(backend: Backend) -> Vec<String> {
    match backend {
        Backend::Postgres => vec![
            "CREATE FUNCTION refuse_ticket_delete() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'tickets are under legal hold'; END $$"
                .into(),
            "CREATE TRIGGER tickets_held BEFORE DELETE ON support_tickets
             FOR EACH ROW EXECUTE FUNCTION refuse_ticket_delete()"
                .into(),
        ],
        Backend::MySql => vec![
            "CREATE TRIGGER tickets_held BEFORE DELETE ON support_tickets
             FOR EACH ROW SIGNAL SQLSTATE '45000'
             SET MESSAGE_TEXT = 'tickets are under legal hold'"
                .into(),
        ],
        Backend::Sqlite => vec![
            "CREATE TRIGGER tickets_held BEFORE DELETE ON support_tickets
             BEGIN SELECT RAISE(ABORT, 'tickets are under legal hold'); END"
                .into(),
        ],
    }
}
