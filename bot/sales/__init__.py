"""The salespeople's side: the inbox's actions, accounts, notifications and the dashboard's figures."""
