from channelhub.cli import main

if __name__ == "__main__":  # not when a spawned process (the search indexer) imports it
    main()
