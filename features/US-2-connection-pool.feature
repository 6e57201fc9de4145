@US-2
Feature: Connection Pool Resilience
  As a Database Administrator
  I want connection pool to handle failures properly
  So that resources are managed efficiently

  # Source: ContextForge issue #2466, US-2 and section 2. The pool follows the plan's architecture:
  # pool_size=5 (minimum idle), max_overflow=10 (15 at most), a pool timeout, validation before use.
  # "All connections in use": an outside session locks the table the API reads, then the gateway's whole pool
  # waits on that lock.

  @story @pool
  Scenario: Connection pool exhaustion
    Given all connections in the pool are in use
    When a new request arrives
    Then request should wait up to timeout
    And if timeout exceeded, return 503
    And pool should recover when connections freed

  @story @pool
  Scenario: Stale connections
    Given idle connections in the pool
    When database restarts
    Then stale connections should be detected
    And new connections should be established

  @CP-01 @pool
  Scenario: CP-01 Pool exhaustion
    Given the gateway is running with PostgreSQL
    And an outside session locks the table the tools API reads
    When 5 more requests than the pool has connections are made to the tools API at once
    Then as many requests as the pool has connections wait on the lock
    And the other requests get 503 after waiting about the pool timeout
    When the outside session releases its lock
    Then the waiting requests finish with 200
    And no database connection of the gateway is left busy
    And API requests succeed

  @CP-02 @pool
  Scenario: CP-02 Stale connections after a database restart
    Given the gateway is running with PostgreSQL
    And the gateway's pool holds idle connections to the primary database
    When the primary database restarts
    Then the first request after the restart succeeds
    And every database connection of the gateway is a new one

  @CP-03 @pool
  Scenario: CP-03 Pool recovery after an outage
    Given the gateway is running with PostgreSQL
    And the gateway's pool holds idle connections to the primary database
    When the primary database is stopped
    Then readiness answers 503 within the detect deadline
    When the primary database is started again
    Then the pool refills to its idle size within the recover deadline
    And API requests succeed
