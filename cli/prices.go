package cli

import (
	"flag"
	"fmt"

	"keyward/model"
)

func modelsPriceCommand() *command {
	return &command{
		name: "price", summary: "Set or clear a model's price",
		usage: "models price MODEL --input USD --output USD [--cached-input USD]",
		long:  modelsPriceLong, examples: modelsPriceExamples,
		args: argSpec{min: 1, max: 1, what: "a model name"},
		bind: bindModelsPrice,
	}
}

// priceRequest is models price's parsed flags.
type priceRequest struct {
	name                      string
	input, output, cachedText string
	cached                    bool
	clear                     bool
}

func bindModelsPrice(fs *flag.FlagSet) binder {
	var req priceRequest
	fs.StringVar(&req.input, "input", "", "`USD` per million input tokens")
	fs.StringVar(&req.output, "output", "", "`USD` per million output tokens")
	fs.StringVar(&req.cachedText, "cached-input", "",
		"`USD` per million cached input tokens (default: the input price)")
	fs.BoolVar(&req.clear, "clear", false, "remove the model's price")
	return func(args []string) (action, error) {
		req.name, req.cached = args[0], isSet(fs, "cached-input")
		anyPrice := isSet(fs, "input") || isSet(fs, "output") || req.cached
		switch {
		case req.clear && anyPrice:
			return nil, usageErr("--clear cannot be used with --input, --output " +
				"or --cached-input")
		case !req.clear && !(isSet(fs, "input") && isSet(fs, "output")):
			return nil, usageErr("--input and --output are both required " +
				"(or --clear to remove the price)")
		}
		return req.run, nil
	}
}

// price parses the amounts with model.ParseMoney; nil means --clear.
func (r priceRequest) price() (*model.Price, error) {
	if r.clear {
		return nil, nil
	}
	var p model.Price
	var err error
	if p.Input, err = moneyFlag("--input", r.input); err != nil {
		return nil, err
	}
	if p.Output, err = moneyFlag("--output", r.output); err != nil {
		return nil, err
	}
	if r.cached {
		if p.CachedInput, err = moneyFlag("--cached-input", r.cachedText); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

func (r priceRequest) run(env Env) error {
	names, err := cleanModelNames([]string{r.name})
	if err != nil {
		return err
	}
	p, err := r.price()
	if err != nil {
		return err
	}
	if err := env.Store.SetPrice(env.Actor, names[0], p); err != nil {
		return err
	}
	env.logger().Info("price set", "model", names[0], "cleared", p == nil, "actor", env.Actor)
	if p == nil {
		_, err = fmt.Fprintf(env.Stdout, "Cleared the price of %s.\n", names[0])
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "Set the price of %s per million tokens: %s.\n",
		names[0], priceText(*p))
	return err
}

// perMillion prints a price exactly, with at least cents: "$2.50",
// "$0.075".
func perMillion(m model.Money) string { return "$" + m.Decimal() }

func priceText(p model.Price) string {
	s := fmt.Sprintf("%s input, %s output", perMillion(p.Input), perMillion(p.Output))
	if p.CachedInput != 0 {
		s += fmt.Sprintf(", %s cached input", perMillion(p.CachedInput))
	}
	return s
}

// priceJSON is a price as scripts read it, in dollars per million tokens.
type priceJSON struct {
	InputUSD       string  `json:"input_usd"`
	OutputUSD      string  `json:"output_usd"`
	CachedInputUSD *string `json:"cached_input_usd"`
}

// catalogJSON is one catalog entry; Price is null when none is set.
type catalogJSON struct {
	Name  string     `json:"name"`
	Price *priceJSON `json:"price_per_million"`
}

func toCatalogJSON(m model.CatalogModel) catalogJSON {
	out := catalogJSON{Name: m.Name}
	if m.Price != nil {
		out.Price = &priceJSON{InputUSD: m.Price.Input.Decimal(),
			OutputUSD: m.Price.Output.Decimal()}
		if m.Price.CachedInput != 0 {
			c := m.Price.CachedInput.Decimal()
			out.Price.CachedInputUSD = &c
		}
	}
	return out
}

// listModels prints the catalog with prices.
func listModels(env Env, asJSON bool) error {
	catalog, err := env.Store.Models()
	if err != nil {
		return err
	}
	l := list[model.CatalogModel, catalogJSON]{asJSON: asJSON, toJSON: toCatalogJSON,
		table: catalogTable, empty: "The catalog is empty; add names with: " +
			"keyward models add NAME..."}
	return l.print(env, catalog)
}

func catalogTable(catalog []model.CatalogModel) *table {
	tb := &table{}
	tb.add("MODEL", "INPUT $/1M", "OUTPUT $/1M", "CACHED INPUT $/1M")
	for _, m := range catalog {
		if m.Price == nil {
			tb.add(m.Name, "not priced", "-", "-")
			continue
		}
		cached := "= input"
		if m.Price.CachedInput != 0 {
			cached = perMillion(m.Price.CachedInput)
		}
		tb.add(m.Name, perMillion(m.Price.Input), perMillion(m.Price.Output), cached)
	}
	return tb
}
