@network
Feature: 01 Network: the lab's VPC, subnets, gateway, routes and fail-closed security groups
  The network phase builds what the profile describes and nothing more. Every check reads
  the state back from the AWS API; none compares the plan with itself. With --existing a
  failure of a @prerequisite scenario blocks the later phases; any other is a finding.

  Background:
    Given the network of the lab is provisioned

  Scenario: The VPC has the planned IPv4 range and an Amazon IPv6 block
    Then the VPC has the profile's IPv4 range
    And the VPC has an Amazon IPv6 block exactly when the profile asks for one

  Scenario: Subnets have the planned ranges and zones
    Then every planned subnet exists with its range and zone, and no other subnet does
    And every IPv6 subnet has a /64 inside the VPC's IPv6 block

  @prerequisite
  Scenario: The internet gateway is attached
    Then the internet gateway is attached to the lab's VPC

  @prerequisite
  Scenario: Default routes go where the profile says
    Then each subnet's IPv4 default route goes where the profile says
    And each subnet's IPv6 default route goes where the profile says

  Scenario: A NAT gateway only where it is planned, and the DNS servers the profile names
    Then a NAT gateway exists only if the profile plans one
    And the VPC hands out the DNS servers the profile names

  @posture
  Scenario: The security groups are fail-closed
    Then no security group admits anything from anywhere
    And SSH to the bastion is allowed only from the home address
    And the node group admits only the bastion group and itself

  @created_by_run
  Scenario: Everything the run created carries the run's tags
    Then every network resource of the run carries the run's tags
