@input-safety
Feature: Input safety
  As a Platform Operator
  I want the gateway to refuse requests it must not serve, whatever state the database is in
  So that a database failure never opens a door and bad input never reaches the database as code

  # Not a case of the plan: the guard rails the resilience cases rely on (a 503 only means something if a bad
  # token gets 401 and bad input gets 400). Checked on every run, with the database healthy.

  Scenario: Requests without a valid token are refused
    Given the gateway is running with PostgreSQL
    When a request to the servers API carries no token
    Then it is refused with 401
    When a request to the servers API carries a wrong token
    Then it is refused with 401

  Scenario: Malformed JSON and an oversize name are refused
    Given the gateway is running with PostgreSQL
    When a server is created with a body that is not JSON
    Then it is refused as bad input
    When a server is created with a name of 300 characters
    Then it is refused as bad input

  Scenario: The name filter takes quotes and SQL wildcards literally
    Given the gateway is running with PostgreSQL
    And servers named "a'b", "100%", "a_c" and "back\slash" were created through the gateway
    Then filtering the server list by each of those names finds exactly that server
    And filtering by "%" or "_" finds no server

  # Credentials that almost match a valid one: each is a way a token check goes wrong (compared without regard to case,
  # by prefix, after trimming, by its form or its claims alone, ignoring its expiry). Each must be refused, and none may
  # cost a query: a refusal that needs the database turns every bad token into load on it. A near miss that cannot be
  # made for this gateway's token (an expiry where the token is no JWT) says so in the evidence.
  @near-miss
  Scenario: Credentials that almost match are refused without reaching the database
    Given the gateway is running with PostgreSQL
    When requests to the servers API carry credentials that almost match a valid one:
      | near miss                              |
      | the token with its case changed        |
      | the token with one character changed   |
      | the token without its last character   |
      | the token followed by a no-break space |
      | another token of the same form         |
      | the token after it expired             |
      | Bearer with nothing after it           |
      | the token in a Basic header            |
    Then every one of them is refused with 401
    And none of them reached the database
