package ui

import (
	"math"
	"strings"

	"keyward/model"
)

// sparkChars draw a sparkline from lowest to highest.
const sparkChars = "▁▂▃▄▅▆▇█"

// sparkline draws one cell per day, scaled to the highest day; a day with
// any spend is never drawn as the lowest block. The scaling is for drawing
// only; money stays integral.
func sparkline(days []model.DaySpend) string {
	levels := []rune(sparkChars)
	var top model.Money
	for _, d := range days {
		top = max(top, d.Amount)
	}
	out := make([]rune, 0, len(days))
	for _, d := range days {
		i := 0
		if top > 0 && d.Amount > 0 {
			f := float64(d.Amount) / float64(top) * float64(len(levels)-1)
			i = max(1, min(len(levels)-1, int(math.Ceil(f))))
		}
		out = append(out, levels[i])
	}
	return string(out)
}

// spendSummary is the total and busiest day of days, in words.
func spendSummary(days []model.DaySpend) string {
	var total model.Money
	best := -1
	for i, d := range days {
		total += d.Amount
		if d.Amount > 0 && (best < 0 || d.Amount > days[best].Amount) {
			best = i
		}
	}
	if best < 0 {
		return "Nothing spent in the last 30 days."
	}
	return "Total " + total.Format() + "; most on " +
		days[best].Day.UTC().Format("Jan 02") + " (" + days[best].Amount.Format() + ")"
}

func (m *Model) onSpend(msg spendLoadedMsg) {
	switch {
	case msg.id != m.target.ID:
	case msg.err != nil:
		m.setError(msg.err)
	default:
		m.spend = msg.days
	}
}

func (m *Model) detailLines() []string {
	t := m.target
	w := m.width
	field := func(name, value string) string {
		return truncate(m.st.Label.Render(fit(name, 11))+printable(value), w)
	}
	quota := t.Limit.Format()
	if t.Unlimited {
		quota = "Unlimited"
	}
	lines := []string{m.st.Title.Render(truncate("'"+printable(t.Name)+"'", w)),
		field("Status", t.Status().String()), field("Quota", quota),
		field("Used", t.Used.Format())}
	if !t.Unlimited {
		lines = append(lines, field("Remaining", t.Remaining().Format()))
	}
	lines = append(lines, field("Key", m.panelKey()),
		field("Created", t.CreatedAt.In(m.cfg.Location).Format(createdLayout)),
		field("Updated", t.UpdatedAt.In(m.cfg.Location).Format(createdLayout)))
	lines = append(lines, m.modelLines(t)...)
	lines = append(lines, "", m.st.Label.Render("Spend, last 30 days (UTC)"))
	return append(lines, m.spendLines()...)
}

// modelLines lists the allowlist, "All models" when it is empty.
func (m *Model) modelLines(t model.Token) []string {
	label := m.st.Label.Render(fit("Models", 11))
	if len(t.Models) == 0 {
		return []string{label + model.AllModelsLabel}
	}
	text := strings.Join(t.Models, ", ")
	var out []string
	for i, l := range wrap(text, max(1, m.width-11)) {
		if i == 0 {
			out = append(out, label+l)
			continue
		}
		out = append(out, strings.Repeat(" ", 11)+l)
	}
	return out
}

func (m *Model) spendLines() []string {
	if m.spend == nil {
		return []string{"Loading…"}
	}
	days := m.spend
	if n := m.width - 2; len(days) > n {
		days = days[len(days)-n:]
	}
	return append([]string{m.st.Bar.Render(sparkline(days))},
		wrap(spendSummary(m.spend), m.width)...)
}
