"""Widgets of the rating app. They show what they are given and post messages up; none
touches the database."""
