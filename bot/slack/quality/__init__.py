"""`/quality`: the quality digest on demand, ephemeral, with a Post to channel button for leads."""
