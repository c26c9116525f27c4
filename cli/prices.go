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

// priceRequest is models price's parsed flags; price is nil for --clear.
type priceRequest struct {
	name  string
	price *model.Price
}

// priceFlags are the amounts as typed.
type priceFlags struct {
	input, output, cached string
	clear                 bool
}

func bindModelsPrice(fs *flag.FlagSet) binder {
	var f priceFlags
	fs.StringVar(&f.input, "input", "", "`USD` per million input tokens")
	fs.StringVar(&f.output, "output", "", "`USD` per million output tokens")
	fs.StringVar(&f.cached, "cached-input", "",
		"`USD` per million cached input tokens (default: the input price)")
	fs.BoolVar(&f.clear, "clear", false, "remove the model's price")
	return func(args []string) (action, error) {
		anyPrice := isSet(fs, "input") || isSet(fs, "output") || isSet(fs, "cached-input")
		switch {
		case f.clear && anyPrice:
			return nil, usageErr("--clear cannot be used with --input, --output " +
				"or --cached-input")
		case f.clear:
			return priceRequest{name: args[0]}.run, nil
		case !(isSet(fs, "input") && isSet(fs, "output")):
			return nil, usageErr("--input and --output are both required " +
				"(or --clear to remove the price)")
		}
		p, err := f.parse(isSet(fs, "cached-input"))
		return priceRequest{name: args[0], price: p}.run, err
	}
}

// parse reads the amounts with model.ParseMoney; an amount that does not
// parse is a usage error.
func (f priceFlags) parse(cached bool) (*model.Price, error) {
	var p model.Price
	var err error
	if p.Input, err = moneyFlag("--input", f.input); err != nil {
		return nil, err
	}
	if p.Output, err = moneyFlag("--output", f.output); err != nil {
		return nil, err
	}
	if cached {
		c, err := moneyFlag("--cached-input", f.cached)
		if err != nil {
			return nil, err
		}
		p.CachedInput = &c
	}
	return &p, nil
}

func (r priceRequest) run(env Env) error {
	names, err := cleanModelNames([]string{r.name})
	if err != nil {
		return err
	}
	p := r.price
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
	if p.CachedInput != nil {
		s += fmt.Sprintf(", %s cached input", perMillion(*p.CachedInput))
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
		if m.Price.CachedInput != nil {
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
		if m.Price.CachedInput != nil {
			cached = perMillion(*m.Price.CachedInput)
		}
		tb.add(m.Name, perMillion(m.Price.Input), perMillion(m.Price.Output), cached)
	}
	return tb
}
