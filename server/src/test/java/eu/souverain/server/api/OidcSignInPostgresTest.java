package eu.souverain.server.api;

import eu.souverain.server.store.TestDatabases;

/** The single sign-on tests on PostgreSQL: its store keeps the pending sign-ins and the identities. */
class OidcSignInPostgresTest extends OidcSignInTest {

    @Override
    TestDatabases store() {
        return TestDatabases.POSTGRESQL;
    }
}
