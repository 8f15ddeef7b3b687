"""Who may do what on a project: roles from the config, Slack user groups, audited decisions.

`roles` is the pure decision (ids and group members in, a `Decision` out), `groups` resolves Slack
user groups with an expiring cache, `guard` joins them into `Authorizer.may` and `authorize` (decide
and audit in one call, for the edges), `explain` words a denial for Slack.
"""
