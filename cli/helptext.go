package cli

// The prose of the help, kept apart from the code that parses flags.

const auditLong = `Show who changed what, newest first: tokens created, changed, enabled,
disabled and deleted, and catalog changes. Keys never appear here.

--token takes what 'keyward tokens --help' describes (an ID, a name, a
full key, id:N or name:TEXT); an ID also finds the history of a deleted
token.

With --json, print an array of objects with seq, time (RFC 3339), actor,
action, token_id, token_name, subject (the model of catalog events) and
changes (objects with field, old and new).`

const auditExamples = `keyward audit
keyward audit --token ci --limit 10
keyward audit --limit 0 --json > audit.json`

const backupLong = `Write a consistent copy of the database, taken in one read transaction,
to FILE (mode 0600). An existing FILE is kept unless --force is given. The
copy is written beside FILE first and renamed into place, so FILE is never
half written. FILE "-" writes the copy to stdout.

The keys in the backup are encrypted with the master key, which is a
separate file: keep a copy of it too, as safely as the backup.`

const backupExamples = `keyward backup ~/backups/keyward-$(date +%F).db
ssh -p 23234 keyward-host backup - > keyward.db`

const rootLong = `Keyward hands out LLM API keys from your own machine and enforces their
quotas and model allowlists.

Run keyward with no command to open the console. The commands below do the
same on the command line, for scripts; most have --json output.

Exit status: 0 on success; 1 when the command failed, including values
the rules refuse (a name too long, an unknown token); 2 on a usage
error: an unknown command or flag, a missing argument, flags that cannot
go together, or a flag value that cannot be parsed (--quota abc,
--limit many).`

const rootExamples = `keyward
KEY=$(keyward tokens create --name ci --quota 12.50)
keyward tokens list --json
keyward --db /srv/keyward/keyward.db serve --ssh 127.0.0.1:23234`

const modelsLong = `Manage the model catalog: the model names the console offers for
allowlists, and the price the gateway charges for each (in dollars per
million tokens).`

const modelsExamples = `keyward models list
keyward models add llama3.1:8b qwen2.5
keyward models price gpt-4o --input 2.50 --output 10`

const modelsListLong = `List the model catalog, sorted by name, with prices in dollars per
million tokens. A model without a price is served and charged nothing.

With --json, print an array of objects with "name" and
"price_per_million": null, or an object with input_usd, output_usd and
cached_input_usd (null when cached input costs the input price).`

const modelsListExamples = `keyward models list
keyward models list --json`

const modelsPriceLong = `Set what the gateway charges for a model, in dollars per million
tokens. The model is added to the catalog if it is not there. Without
--cached-input, cached input tokens cost the input price. --clear removes
the price: the model is then served and charged nothing.`

const modelsPriceExamples = `keyward models price gpt-4.1 --input 2 --output 8 --cached-input 0.5
keyward models price llama3.1:8b --input 0 --output 0
keyward models price gpt-4o --clear`

const tokensLong = `Manage the API tokens (keys) that Keyward hands out.

A token is addressed by its numeric ID, by its exact name when no other
token has that name, or by its full key. A number that is one token's ID
and another token's name is refused as ambiguous: write id:N for the ID
or name:TEXT for the name (name:2024, id:7). Keys in messages are always
masked.`

const tokensExamples = `KEY=$(keyward tokens create --name ci --quota 12.50)
keyward tokens list --filter ci
keyward tokens disable ci
keyward tokens show name:2024
keyward tokens disable "$KEY"`

const tokensListLong = `List tokens, newest first, with their status, quota, models and masked key.

With --json, print an array of objects with the fields id, name, status
("enabled", "disabled" or "exhausted"), enabled, unlimited, limit_usd,
used_usd, remaining_usd, models, key_masked, created_at and updated_at.
Amounts are decimal strings of dollars; limit_usd and remaining_usd are
null for unlimited tokens; an empty models array means every model.`

const tokensListExamples = `keyward tokens list
keyward tokens list --filter ci
keyward tokens list --json | jq -r '.[] | select(.status == "exhausted") | .name'`

const tokensCreateLong = `Create an enabled token with a new key and print the key on stdout,
alone on its line, so that KEY=$(keyward tokens create ...) captures it.

Without --quota the token is unlimited: it is never refused for spending,
though what it spends is still counted; --unlimited=false therefore needs
--quota. Without --models it may use every model.

If the token is created but its key cannot be printed (stdout is a full
disk or a closed pipe), the command fails and names the token: get the key
with 'keyward tokens show ID --reveal' or delete the token.`

const tokensCreateExamples = `KEY=$(keyward tokens create --name ci --quota 12.50)
keyward tokens create --name laptop --unlimited --models gpt-4o,llama3
keyward tokens create --name staging --quota 5 --json`

const tokensShowLong = `Show one token's details. The key is masked unless --reveal is given.
With --json, print the object that tokens list prints, plus "key" when
--reveal is given.`

const tokensShowExamples = `keyward tokens show ci
keyward tokens show 3 --reveal
keyward tokens show ci --reveal --json | jq -r .key`

const tokensEditLong = `Change a token. Only the fields given change.

--quota sets the limit and makes the token limited. --unlimited removes the
limit but remembers it, and --limited brings it back. When the values
given are what the token already has, it says "No changes" and records
nothing. If someone else changes the token while this command runs,
nothing is saved and the command says so.`

const tokensEditExamples = `keyward tokens edit ci --quota 25
keyward tokens edit 3 --name ci-runner --models gpt-4o-mini
keyward tokens edit ci --unlimited
keyward tokens edit ci --all-models`

const tokensDeleteLong = `Delete a token and its key. This cannot be undone.

On a terminal it asks first, defaulting to No. Without a terminal (in a
script) it refuses unless --yes is given.`

const tokensDeleteExamples = `keyward tokens delete ci
keyward tokens delete 3 --yes`
