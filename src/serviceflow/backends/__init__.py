"""Built-in storage backends, registered as plugins exactly like third-party ones."""
