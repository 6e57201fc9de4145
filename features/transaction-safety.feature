@data-integrity
Feature: Transaction Safety
  As a Platform Operator
  I want every gateway transaction to be all or nothing when the database fails
  So that no failure leaves corrupt or half-written data behind

  # Source: ContextForge issue #2466, section 4 (TX-01..TX-03). The plan states no user story for these; they
  # guard the data integrity that US-1..US-3 rely on. TX-01 follows the plan's expected result, "one aborted": the
  # deadlock victim's client is told (409), so two successes fail the scenario. A timeout is answered 504 (or 503).

  @TX-01 @transaction
  Scenario: TX-01 Deadlock between two gateway transactions
    Given the gateway is running with PostgreSQL
    And servers "tx01-a", "tx01-b", "tx01-gate-1" and "tx01-gate-2" exist
    And an outside session holds the rows of "tx01-gate-1" and "tx01-gate-2"
    When one request updates "tx01-a", "tx01-gate-1" and "tx01-b" in that order
    And another request updates "tx01-b", "tx01-gate-2" and "tx01-a" in that order
    And both requests wait for the outside session
    And the outside session releases its rows
    Then PostgreSQL detects a deadlock
    And one request commits and the other gets 409 with a deadlock error
    And the descriptions of "tx01-a" and "tx01-b" come from the same request
    And the gateway log records the deadlock

  @TX-02 @transaction
  Scenario: TX-02 Statement timeout
    Given the gateway is running with PostgreSQL
    And servers "tx02-free" and "tx02-locked" exist
    And an outside session holds the rows of "tx02-locked"
    When one request updates "tx02-free" and "tx02-locked" in that order
    Then the request fails with a statement timeout error after about the statement timeout
    And the description of "tx02-free" is unchanged
    And the gateway holds no locks in the database
    And no database connection of the gateway is left busy
    And API requests succeed

  @TX-03 @transaction @connection
  Scenario: TX-03 Connection drop in the middle of a multi-statement write
    Given the gateway is running with PostgreSQL
    And an outside session locks the table where a server's tools are recorded
    When a request creates server "tx03" with 3 tools in one call
    And the gateway's write waits halfway, after the server and before its tools
    And the gateway's database connections are dropped by a TCP reset
    And the outside session releases its lock
    Then that request fails with 503
    And neither server "tx03" nor any of its tools is visible
    And the same request succeeds when retried

  # Beyond the plan. The answer to a COMMIT can be lost: PostgreSQL has committed the write, and the connection breaks
  # before its answer reaches the gateway. Nobody can tell the gateway whether the write happened, so it must not say it
  # failed (the write would be a ghost) nor write it again (it would exist twice, or its own write would come back as
  # a conflict); it may find out and answer success, or answer that the outcome is unknown (503 with the code its
  # profile declares). Made on purpose in every run: the fault waits for that write's COMMIT to be answered.
  @TX-04 @transaction @beyond-the-plan
  Scenario Outline: TX-04 The answer to a COMMIT is lost (<write>, <replication> replication)
    Given the gateway is running with PostgreSQL
    And the standby replicates with <replication> replication
    When the gateway writes <write>
    And the connection breaks after PostgreSQL has committed the write, before its answer reaches the gateway
    Then the write is stored exactly once
    And the gateway answered that the write succeeded or that its outcome is unknown
    And API requests succeed

    Examples:
      | write                     | replication  |
      | a server alone            | asynchronous |
      | a server with 3 tools     | asynchronous |
      | a server alone            | synchronous  |
      | a server with 3 tools     | synchronous  |
