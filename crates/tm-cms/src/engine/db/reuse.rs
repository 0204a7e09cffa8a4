//! Keeping the prepared statements of the hot path on the connection.
//!
//! diesel-async prepares every statement, and keeps it for the next call only when diesel says
//! it is safe to cache. diesel says no for every `UPDATE`, every single-row `INSERT` (a `None`
//! value becomes `DEFAULT`, so the SQL text can differ between calls), every `IN (…)` list and
//! every raw SQL text, because it keys its cache by the query's *type* and those types do not
//! determine the text. Each such statement then costs a `PREPARE` round trip and a `CLOSE`
//! every time: six per post before this wrapper.
//!
//! [`Reuse`] keys the cache by the statement's SQL text (and bind types) instead, which is
//! always right, at the price of one cache entry per distinct text. Wrap only statements with a
//! small set of texts: fixed SQL, inserts with a few optional columns, `IN` lists whose lengths
//! are rounded up ([`padded_to_power_of_two`]). A text that differs per call (a literal value
//! in the SQL) would fill the cache: never wrap one.

use diesel::mysql::Mysql;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// A statement whose prepared form is kept on the connection, keyed by its SQL text.
#[derive(Debug, Clone, Copy)]
pub struct Reuse<Q>(pub Q);

impl<Q: QueryFragment<Mysql>> QueryFragment<Mysql> for Reuse<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Mysql>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Mysql) -> QueryResult<bool> {
        Ok(true)
    }
}

// No static id: the cache key is then the SQL text, never the type.
impl<Q> QueryId for Reuse<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Reuse<Q> {
    type SqlType = Q::SqlType;
}

/// `items` with its last element repeated until its length is a power of two, so that an
/// `IN (…)` list of it has one of a few lengths (one prepared statement per length). Repeating
/// an element does not change what `IN` matches.
pub fn padded_to_power_of_two<T: Clone>(items: &[T]) -> Vec<T> {
    let mut padded = items.to_vec();
    if let Some(last) = items.last() {
        padded.resize(items.len().next_power_of_two(), last.clone());
    }
    padded
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Text};
    use diesel::QueryableByName;
    use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

    use super::{padded_to_power_of_two, Reuse};

    #[derive(QueryableByName)]
    struct Counter {
        #[diesel(sql_type = Text)]
        #[diesel(column_name = Value)]
        value: String,
    }

    #[derive(QueryableByName)]
    struct Answer {
        #[diesel(sql_type = BigInt)]
        answer: i64,
    }

    /// How many statements this connection has prepared so far (the server counts per session).
    async fn prepared(conn: &mut AsyncMysqlConnection) -> u64 {
        let row: Counter = diesel::sql_query("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'")
            .get_result(conn)
            .await
            .unwrap();
        row.value.parse().unwrap()
    }

    /// Raw SQL is what diesel never caches: without the wrapper every call prepares again.
    #[tokio::test]
    async fn a_wrapped_statement_is_prepared_once_per_connection() {
        let mut conn = AsyncMysqlConnection::establish(&tm_testkit::database_url_for("mysql"))
            .await
            .expect("MariaDB reachable (scripts/dev-services.sh)");
        let ask = |n: i64| diesel::sql_query("SELECT ? + 1 AS answer").bind::<BigInt, _>(n);

        let before = prepared(&mut conn).await;
        for n in 0..5 {
            let row: Answer = ask(n).get_result(&mut conn).await.unwrap();
            assert_eq!(row.answer, n + 1);
        }
        let plain = prepared(&mut conn).await - before;

        let before = prepared(&mut conn).await;
        for n in 0..5 {
            let row: Answer = Reuse(ask(n)).get_result(&mut conn).await.unwrap();
            assert_eq!(row.answer, n + 1, "the wrapper changes nothing in what is sent");
        }
        let reused = prepared(&mut conn).await - before;

        // Each count includes the `SHOW SESSION STATUS` that reads it (itself prepared once more).
        assert!(
            plain >= 5,
            "plain raw SQL is prepared per call, {plain} prepares for 5 calls"
        );
        assert!(
            reused <= 2,
            "the wrapped statement is prepared once, {reused} prepares for 5 calls"
        );
    }

    #[test]
    fn lists_are_padded_with_their_last_element_to_a_power_of_two() {
        assert_eq!(padded_to_power_of_two::<u64>(&[]), Vec::<u64>::new());
        assert_eq!(padded_to_power_of_two(&[7]), vec![7]);
        assert_eq!(padded_to_power_of_two(&[1, 2, 3]), vec![1, 2, 3, 3]);
        assert_eq!(padded_to_power_of_two(&[1, 2, 3, 4]), vec![1, 2, 3, 4]);
        assert_eq!(padded_to_power_of_two(&[1, 2, 3, 4, 5]).len(), 8);
    }
}
