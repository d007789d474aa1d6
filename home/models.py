"""The home room keeps no table of its own: who gets the morning digest, and how, is each person's choice of the
notice "digest" (portal.core.models.NoticeChoice; home/digest.py)."""
