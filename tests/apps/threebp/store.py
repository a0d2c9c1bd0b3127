"""In-memory users and posts (a database would do the same job)."""

import itertools
import threading

from werkzeug.security import check_password_hash, generate_password_hash

# Fast hashing: this is a test app.
HASH_METHOD = "pbkdf2:sha256:1000"


class Store:
    def __init__(self):
        self.users = {}
        self.posts = {}
        self._user_ids = itertools.count(1)
        self._post_ids = itertools.count(1)
        self._lock = threading.Lock()

    def add_user(self, username, password):
        with self._lock:
            user_id = next(self._user_ids)
            self.users[user_id] = {
                "id": user_id,
                "username": username,
                "password": generate_password_hash(password, HASH_METHOD),
            }
            return user_id

    def find_user(self, username):
        for user in self.users.values():
            if user["username"] == username:
                return user
        return None

    def check_login(self, username, password):
        user = self.find_user(username)
        if user is None or not check_password_hash(user["password"], password):
            return None
        return user

    def add_post(self, author_id, title, body):
        with self._lock:
            post_id = next(self._post_ids)
            self.posts[post_id] = {
                "id": post_id,
                "author_id": author_id,
                "author": self.users[author_id]["username"],
                "title": title,
                "body": body,
            }
            return self.posts[post_id]

    def latest_posts(self):
        return sorted(self.posts.values(), key=lambda p: p["id"], reverse=True)
